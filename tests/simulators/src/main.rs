//! `mooring-simulators`: the Xero and QuickBooks simulators as a standalone server for the
//! demo and manual testing. Prints one JSON line (base URL, `MOORING_HOST_OVERRIDES`
//! string and, with `--seed-demo`, the demo apps, user and tenants) and serves until
//! interrupted.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use mooring_simulators::ids::{random_b64url, random_from, random_hex};
use mooring_simulators::xero::data::{Country, GenerateOptions, OrgSize};
use mooring_simulators::{
    AppSpec, Provider, QboRateLimits, RateLimits, ScopeModel, SimConfig, Simulator,
};
use serde_json::{Value, json};

/// Loopback simulators of Xero and QuickBooks Online.
#[derive(Debug, Parser)]
#[command(name = "mooring-simulators", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SIM_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Create a demo Xero app, QuickBooks app, user, two Xero organisations and one
    /// QuickBooks company (with a generated chart of accounts).
    #[arg(long)]
    seed_demo: bool,
    /// Redirect URI(s) registered for the demo apps (Xero only accepts https or
    /// http://localhost).
    #[arg(
        long = "redirect-uri",
        default_value = "http://localhost:8080/oauth/callback"
    )]
    redirect_uris: Vec<String>,
    /// Scope model of the demo Xero app.
    #[arg(long, value_enum, default_value = "granular")]
    xero_scope_model: ScopeModelArg,
    /// Demo user name (same at both providers).
    #[arg(long, default_value = "demo@example.com")]
    demo_user: String,
    /// Size of the demo Xero organisations' generated data: empty, small, medium, large.
    #[arg(long, default_value = "small")]
    xero_org_size: String,
    /// Seed of the demo Xero data generator.
    #[arg(long, default_value_t = 42)]
    xero_seed: u64,
    /// Xero calls per rolling minute per app and tenant.
    #[arg(long, default_value_t = 60)]
    xero_per_minute: u32,
    /// Xero calls per daily window per app and tenant.
    #[arg(long, default_value_t = 5_000)]
    xero_per_day: u32,
    /// Xero calls in progress per app and tenant.
    #[arg(long, default_value_t = 5)]
    xero_concurrent: u32,
    /// Xero calls per rolling minute per app.
    #[arg(long, default_value_t = 10_000)]
    xero_app_per_minute: u32,
    /// Accounts in the demo QuickBooks company's generated chart.
    #[arg(long, default_value_t = 45)]
    qbo_accounts: usize,
    /// Seed of the demo QuickBooks chart generator.
    #[arg(long, default_value_t = 42)]
    qbo_seed: u64,
    /// QuickBooks requests per rolling minute per realm.
    #[arg(long, default_value_t = 500)]
    qbo_per_minute: u32,
    /// Ledger lines of the demo QuickBooks company (0: chart of accounts only).
    #[arg(long, default_value_t = 0)]
    qbo_ledger_lines: usize,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ScopeModelArg {
    Granular,
    Mixed,
}

fn seed(sim: &Simulator, args: &Args) -> anyhow::Result<Value> {
    let user = args.demo_user.as_str();
    let xero_id = random_hex(16).to_uppercase();
    let xero_secret = random_b64url(36);
    let model = match args.xero_scope_model {
        ScopeModelArg::Granular => ScopeModel::Granular,
        ScopeModelArg::Mixed => ScopeModel::Mixed,
    };
    sim.add_app(
        AppSpec::new(
            Provider::Xero,
            &xero_id,
            &xero_secret,
            args.redirect_uris.clone(),
        )
        .scope_model(model)
        .journals_premium(true),
    )?;
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let qbo_id = format!("AB{}", random_from(alnum, 48));
    let qbo_secret = random_from(alnum, 40);
    sim.add_app(AppSpec::new(
        Provider::Quickbooks,
        &qbo_id,
        &qbo_secret,
        args.redirect_uris.clone(),
    ))?;
    sim.add_user(Provider::Xero, user)?;
    sim.add_user(Provider::Quickbooks, user)?;
    let size = OrgSize::preset(&args.xero_org_size)
        .with_context(|| format!("unknown --xero-org-size {:?}", args.xero_org_size))?;
    let mut xero_tenants = Vec::new();
    for (i, (name, country)) in [("UK Ltd", Country::UK), ("USA Inc", Country::US)]
        .into_iter()
        .enumerate()
    {
        let id = sim.add_org(Provider::Xero, name);
        sim.grant_user_access(user, &id)?;
        let opts = GenerateOptions::new(size, args.xero_seed + i as u64).country(country);
        let summary = sim.generate_xero_org(&id, opts)?;
        xero_tenants.push(json!({"tenant_id": id, "name": name, "data": summary}));
    }
    let company = "Mooring Demo Company";
    let realm = sim.add_org(Provider::Quickbooks, company);
    sim.grant_user_access(user, &realm)?;
    let qbo_data = if args.qbo_ledger_lines > 0 {
        json!(sim.generate_qbo_company(&realm, args.qbo_ledger_lines, args.qbo_seed)?)
    } else {
        json!(sim.generate_qbo_accounts(&realm, args.qbo_accounts, args.qbo_seed)?)
    };
    Ok(json!({
        "user": user,
        "xero": {
            "client_id": xero_id,
            "client_secret": xero_secret,
            "redirect_uris": args.redirect_uris,
            "scope_model": model,
            "journals_premium": true,
            "tenants": xero_tenants,
        },
        "quickbooks": {
            "client_id": qbo_id,
            "client_secret": qbo_secret,
            "redirect_uris": args.redirect_uris,
            "tenants": [{"tenant_id": realm, "name": company, "data": qbo_data}],
        },
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let sim = Simulator::start(SimConfig {
        listen: args.listen,
        xero_rate_limits: RateLimits {
            per_minute: args.xero_per_minute,
            per_day: args.xero_per_day,
            concurrent: args.xero_concurrent,
            app_per_minute: args.xero_app_per_minute,
        },
        qbo_rate_limits: QboRateLimits {
            per_minute: args.qbo_per_minute,
            ..QboRateLimits::default()
        },
        ..SimConfig::default()
    })
    .await
    .context("starting the simulators")?;
    let mut out = json!({
        "base_url": sim.base_url(),
        "host_overrides": sim.host_overrides(),
    });
    if args.seed_demo {
        let seeded = seed(&sim, &args)?;
        if let (Value::Object(o), Value::Object(s)) = (&mut out, seeded) {
            o.extend(s);
        }
    }
    println!("{out}");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}
