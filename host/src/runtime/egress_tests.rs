//! The egress rules as tables of allowed and denied cases.

use super::*;

const TOKEN: &str = "https://api.example.com/oauth2/token";
const REVOKE: &str = "https://api.example.com/oauth2/revoke";

fn approved() -> AllowedHosts {
    AllowedHosts::new(
        &[
            "api.example.com",
            "login.example.com",
            "localhost",
            "127.0.0.1",
            "127.0.0.2",
            "0.0.0.0",
            "::1",
            "10.1.2.3",
            "169.254.169.254",
            "sim.internal",
        ]
        .map(String::from),
    )
    .expect("valid")
}

fn policy(allow: &str) -> EgressPolicy {
    EgressPolicy::new(
        HostOverrides::parse(
            "login.example.com=http://127.0.0.1:9001/login, api.example.com=http://sim.internal:9002",
        )
        .expect("overrides"),
        EgressAllow::parse(allow).expect("allow"),
    )
}

fn request(policy: &EgressPolicy, url: &str, credential: Credential) -> Result<String, String> {
    let approved = approved();
    policy
        .plugin_request(&PluginRequest {
            url,
            credential,
            approved: &approved,
            token_url: TOKEN,
            revoke_url: Some(REVOKE),
        })
        .map(|u| u.to_string())
        .map_err(|e| e.code().to_owned())
}

use Credential::{AccessToken as Bearer, ClientBasic as Basic, None as Plain};

/// (allowances, url, credential, expected: Ok(target) or Err(code)).
#[test]
fn plugin_requests() {
    let ok = |s: &str| Ok::<String, String>(s.to_owned());
    let no = |s: &str| Err::<String, String>(s.to_owned());
    let all = "ip-literals,ports";
    let cases: &[(&str, &str, Credential, Result<String, String>)] = &[
        // Remapped hosts: the base's scheme, port and address are the operator's.
        (
            "",
            "https://login.example.com/x?a=1",
            Bearer,
            ok("http://127.0.0.1:9001/login/x?a=1"),
        ),
        (
            "",
            "http://login.example.com/x",
            Bearer,
            ok("http://127.0.0.1:9001/login/x"),
        ),
        (
            "",
            "https://api.example.com/v1",
            Basic,
            ok("http://sim.internal:9002/v1"),
        ),
        // Userinfo is refused always, remapped or not.
        (
            all,
            "https://u:p@api.example.com/v1",
            Bearer,
            no("userinfo"),
        ),
        (all, "https://u@api.example.com/v1", Plain, no("userinfo")),
        // Undeclared hosts and other schemes.
        (
            "",
            "https://evil.example.org/",
            Plain,
            no("undeclared-host"),
        ),
        (
            "",
            "https://api.example.com.evil.org/",
            Bearer,
            no("undeclared-host"),
        ),
        ("", "ftp://api.example.com/", Plain, no("bad-url")),
        ("", "not a url", Plain, no("bad-url")),
        // Credentials only over https to hosts that are not remapped.
        (
            all,
            "http://localhost/steal",
            Bearer,
            no("plaintext-credential"),
        ),
        (
            all,
            "http://127.0.0.1:8080/steal",
            Bearer,
            no("plaintext-credential"),
        ),
        (
            all,
            "http://localhost/steal",
            Basic,
            no("plaintext-credential"),
        ),
        (
            all,
            "https://localhost/steal",
            Bearer,
            ok("https://localhost/steal"),
        ),
        // Ports and IP literals need the operator's allowance.
        ("", "https://localhost:8443/", Plain, no("port")),
        ("", "https://127.0.0.1/", Plain, no("ip-literal")),
        ("", "https://2130706433/", Plain, no("ip-literal")),
        // Literal addresses: every private-ish form, decimal, hex, IPv6, mapped.
        (all, "https://127.0.0.1:8443/", Bearer, no("address")),
        (all, "https://127.0.0.2/", Bearer, no("address")),
        (all, "https://0.0.0.0/", Bearer, no("address")),
        (all, "https://2130706433/", Bearer, no("address")),
        (all, "https://0x7f000001/", Plain, no("address")),
        (all, "http://[::1]:80/", Plain, no("address")),
        (
            all,
            "https://169.254.169.254/latest/meta-data",
            Plain,
            no("address"),
        ),
        (all, "https://10.1.2.3/", Plain, no("address")),
        (
            "ip-literals,private-addresses",
            "https://10.1.2.3/",
            Plain,
            ok("https://10.1.2.3/"),
        ),
        (
            "ip-literals,private-addresses",
            "https://127.0.0.1/",
            Plain,
            no("address"),
        ),
        // An override's target only through its override.
        (
            all,
            "https://sim.internal:9002/",
            Bearer,
            no("override-target"),
        ),
        // Client credentials never towards the token or revoke endpoint, however written.
        (
            "",
            "https://api.example.com/oauth2/token",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "HTTPS://API.EXAMPLE.COM:443/oauth2/token/",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com.//oauth2//token",
            Basic,
            no("undeclared-host"),
        ),
        (
            "",
            "https://api.example.com//oauth2//token",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/oauth2/%74oken",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/oauth2/%2574oken",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/x/../oauth2/./token",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/x/%2e%2e/oauth2/TOKEN",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/oauth2/token;x=1?y=2",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "http://api.example.com:8080/oauth2/token",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/oauth2/revoke/",
            Basic,
            no("oauth-endpoint"),
        ),
        (
            "",
            "https://api.example.com/oauth2/introspect",
            Basic,
            ok("http://sim.internal:9002/oauth2/introspect"),
        ),
        // A bearer token to the token endpoint is not a client credential.
        (
            "",
            "https://api.example.com/oauth2/token",
            Bearer,
            ok("http://sim.internal:9002/oauth2/token"),
        ),
    ];
    for (allow, url, credential, expected) in cases {
        let got = request(&policy(allow), url, *credential);
        assert_eq!(&got, expected, "{credential:?} {url} under [{allow}]");
    }
}

#[test]
fn host_token_requests() {
    let cases: &[(&str, &str, Result<&str, &str>)] = &[
        (
            "",
            "https://login.example.com/token",
            Ok("http://127.0.0.1:9001/login/token"),
        ),
        (
            "",
            "https://auth.example.net/token",
            Ok("https://auth.example.net/token"),
        ),
        (
            "",
            "http://auth.example.net/token",
            Err("plaintext-credential"),
        ),
        ("", "https://u:p@auth.example.net/token", Err("userinfo")),
        ("", "https://auth.example.net:8443/token", Err("port")),
        (
            "ip-literals,ports",
            "https://127.0.0.1:8443/token",
            Err("address"),
        ),
        ("", "https://sim.internal:9002/token", Err("port")),
        (
            "ports",
            "https://sim.internal:9002/token",
            Err("override-target"),
        ),
    ];
    for (allow, url, expected) in cases {
        let got = policy(allow).host_request(url);
        let got = got.as_ref().map(|u| u.as_str()).map_err(|e| e.code());
        assert_eq!(got, *expected, "{url} under [{allow}]");
    }
}

#[test]
fn manifests() {
    let urls: &[(&str, &str, Result<(), &str>)] = &[
        ("", "https://login.example.com/authorize", Ok(())),
        (
            "",
            "https://u:p@login.example.com/authorize",
            Err("userinfo"),
        ),
        (
            "ip-literals,ports",
            "https://u@login.example.com/",
            Err("userinfo"),
        ),
        ("", "https://login.example.com:8443/token", Err("port")),
        ("ports", "https://login.example.com:8443/token", Ok(())),
        ("", "https://127.0.0.1/token", Err("ip-literal")),
        ("", "https://2130706433/token", Err("ip-literal")),
        ("", "https://[::1]/token", Err("ip-literal")),
        ("ip-literals", "https://[::1]/token", Ok(())),
        ("", "file:///etc/passwd", Err("bad-url")),
    ];
    for (allow, url, expected) in urls {
        let got = policy(allow).check_manifest_url(url);
        assert_eq!(
            got.map(|_| ()).map_err(|e| e.code()),
            *expected,
            "{url} under [{allow}]"
        );
    }
    let hosts: &[(&str, &str, bool)] = &[
        ("", "api.example.com", true),
        ("", "*.example.com", true),
        ("", "127.0.0.1", false),
        ("", "2130706433", false),
        ("", "0x7f000001", false),
        ("", "::1", false),
        ("", "[fd00:ec2::254]", false),
        ("ip-literals", "127.0.0.1", true),
    ];
    for (allow, host, accepted) in hosts {
        assert_eq!(
            policy(allow).check_manifest_host(host).is_ok(),
            *accepted,
            "{host} under [{allow}]"
        );
    }
}

#[test]
fn address_kinds() {
    use AddressKind::*;
    let cases: &[(&str, Option<AddressKind>)] = &[
        ("8.8.8.8", None),
        ("203.0.114.1", None),
        ("0.0.0.0", Some(Unspecified)),
        ("0.1.2.3", Some(Unspecified)),
        ("127.0.0.1", Some(Loopback)),
        ("127.255.0.2", Some(Loopback)),
        ("10.0.0.1", Some(Private)),
        ("172.16.5.4", Some(Private)),
        ("172.32.0.1", None),
        ("192.168.1.1", Some(Private)),
        ("169.254.1.1", Some(LinkLocal)),
        ("169.254.169.254", Some(Metadata)),
        ("100.64.0.1", Some(SharedCgnat)),
        ("100.128.0.1", None),
        ("224.0.0.1", Some(Multicast)),
        ("255.255.255.255", Some(Reserved)),
        ("2606:4700::1111", None),
        ("::", Some(Unspecified)),
        ("::1", Some(Loopback)),
        ("fd00:ec2::254", Some(Metadata)),
        ("fd12:3456::1", Some(Private)),
        ("fe80::1", Some(LinkLocal)),
        ("ff02::1", Some(Multicast)),
        ("::ffff:127.0.0.1", Some(Loopback)),
        ("::ffff:169.254.169.254", Some(Metadata)),
        ("::ffff:8.8.8.8", None),
        ("::127.0.0.1", Some(Loopback)),
        ("64:ff9b::a00:1", Some(Private)),
        ("2002:7f00:1::", Some(Loopback)),
    ];
    for (text, expected) in cases {
        let ip: IpAddr = text.parse().expect("ip");
        assert_eq!(address_kind(ip), *expected, "{text}");
    }
}

#[test]
fn the_resolver_filters_unless_the_name_is_an_override_target() {
    let addrs = |list: &[&str]| -> Vec<SocketAddr> {
        list.iter()
            .map(|a| SocketAddr::new(a.parse().expect("ip"), 0))
            .collect()
    };
    let resolver = policy("").resolver();
    let refused = resolver
        .filter("localhost", addrs(&["127.0.0.1", "::1"]))
        .expect_err("loopback only");
    assert_eq!(refused.code(), "address");
    assert_eq!(
        resolver.filter("mixed.example", addrs(&["127.0.0.1", "8.8.8.8"])),
        Ok(addrs(&["8.8.8.8"]))
    );
    assert_eq!(
        resolver.filter("SIM.internal", addrs(&["10.0.0.5"])),
        Ok(addrs(&["10.0.0.5"])),
        "an override target resolves as is"
    );
    assert!(resolver.filter("intranet", addrs(&["10.0.0.5"])).is_err());
    let private = policy("private-addresses").resolver();
    assert!(private.filter("intranet", addrs(&["10.0.0.5"])).is_ok());
    assert!(private.filter("meta", addrs(&["169.254.169.254"])).is_err());
}

#[test]
fn allowances_parse() {
    let all = EgressAllow::parse(" ip-literals, ports ,private-addresses,").expect("ok");
    assert!(all.ip_literals && all.ports && all.private_addresses);
    assert_eq!(
        EgressAllow::parse("").expect("empty"),
        EgressAllow::default()
    );
    assert!(EgressAllow::parse("everything").is_err());
}

#[test]
fn a_denial_is_found_in_an_error_chain() {
    #[derive(Debug, thiserror::Error)]
    #[error("connect failed")]
    struct Wrapper(#[source] EgressError);
    let inner = EgressError::Port {
        host: "x".into(),
        port: 1,
    };
    let wrapped = Wrapper(inner.clone());
    assert_eq!(denial_in(&wrapped), Some(&inner));
    assert_eq!(denial_in(&std::fmt::Error), None);
}
