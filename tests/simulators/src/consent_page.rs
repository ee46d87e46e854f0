//! The small HTML pages of the authorize endpoints: the consent form and error pages.

use crate::client_auth::Params;
use crate::model::{App, Provider};
use crate::state::SimState;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn title(provider: Provider) -> &'static str {
    match provider {
        Provider::Xero => "Xero (simulated)",
        Provider::Quickbooks => "Intuit QuickBooks (simulated)",
    }
}

/// An error page; the client is never redirected to from here.
pub(crate) fn error_page(provider: Provider, error: &str, description: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body>\
         <h1>Sorry, something went wrong</h1><p id=\"error\">{e}</p><p id=\"error_description\">{d}</p>\
         </body></html>",
        t = title(provider),
        e = esc(error),
        d = esc(description)
    )
}

/// The consent form. It submits back to the same URL with the original parameters
/// plus `sim_user`, `sim_orgs` and `sim_decision`.
pub(crate) fn consent_page(
    st: &SimState,
    app: &App,
    params: &Params,
    scopes: &[String],
    needs_tenant: bool,
) -> String {
    let provider = app.provider;
    let mut hidden = String::new();
    for (k, v) in &params.0 {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        ));
    }
    let mut users: Vec<&str> = st
        .users
        .values()
        .filter(|u| u.provider == provider)
        .map(|u| u.username.as_str())
        .collect();
    users.sort_unstable();
    let user_options: String = users
        .iter()
        .map(|u| format!("<option value=\"{0}\">{0}</option>", esc(u)))
        .collect();
    let mut orgs_html = String::new();
    if needs_tenant {
        let kind = if provider == Provider::Xero {
            "checkbox"
        } else {
            "radio"
        };
        orgs_html.push_str("<fieldset><legend>Organisations</legend>");
        for o in st.orgs.iter().filter(|o| o.provider == provider) {
            let members: Vec<&str> = o.members.iter().map(String::as_str).collect();
            orgs_html.push_str(&format!(
                "<label><input type=\"{kind}\" name=\"sim_orgs\" value=\"{id}\"> {name} \
                 <small>({id}; members: {members})</small></label><br>",
                id = esc(&o.tenant_id),
                name = esc(&o.name),
                members = esc(&members.join(", "))
            ));
        }
        orgs_html.push_str("</fieldset>");
    }
    let scope_items: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", esc(s)))
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body>\
         <h1>{t}</h1><p><b>{app}</b> wants access to:</p><ul id=\"scopes\">{scope_items}</ul>\
         <form method=\"get\" action=\"\">{hidden}\
         <label>Sign in as <select name=\"sim_user\">{user_options}</select></label><br>{orgs_html}\
         <button type=\"submit\" name=\"sim_decision\" value=\"approve\">Allow access</button> \
         <button type=\"submit\" name=\"sim_decision\" value=\"deny\">Cancel</button>\
         </form></body></html>",
        t = title(provider),
        app = esc(&app.client_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(error_page(Provider::Xero, "e", "<b>").contains("&lt;b&gt;"));
    }
}
