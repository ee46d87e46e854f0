//! `mooring plugin new NAME`: a provider plugin crate on the SDK, ready to build into a
//! component the host loads without any change: `Cargo.toml`, `src/lib.rs` (manifest,
//! standard OAuth 2.0 authorization code, one paged stream, unit tests), a README for
//! integrators and `.cargo/config.toml` (target `wasm32-wasip2`).
//!
//! The crate is its own Cargo workspace with a path dependency on the SDK, so it builds
//! from any directory, inside the Mooring repository (even under `plugins/`) or
//! outside it. `--sdk` names the SDK folder; by default it is `plugins/sdk` of the
//! nearest directory above the current one that has it. When the SDK's workspace has a
//! `Cargo.lock`, it is copied so the new crate starts from the dependency versions the
//! SDK is built and tested with.
//!
//! The templates are the files in `src/cli/scaffold/`; `plugins/README.md` shows the
//! same `src/lib.rs` rendered for `acme` (a unit test keeps them equal).

use std::path::{Component, Path, PathBuf};

use clap::Args;

use super::plugin::say;

/// Options of `plugin new`.
#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// Provider id and crate name: lower-kebab-case (`acme`, `acme-books`).
    pub name: String,
    /// Directory to create (default: `./NAME`); must not exist or be empty.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The `mooring-plugin-sdk` folder (default: `plugins/sdk` found in the current
    /// directory or one above it).
    #[arg(long)]
    pub sdk: Option<PathBuf>,
}

/// Why a crate could not be scaffolded.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name is not a valid provider id.
    #[error(
        "{0:?} is not a plugin name: use 1-64 characters of a-z, 0-9 and '-', starting with a letter (it is also the provider id)"
    )]
    BadName(String),
    /// The target directory is in the way.
    #[error("{} already exists and is not empty", .0.display())]
    NotEmpty(PathBuf),
    /// The SDK could not be found.
    #[error(
        "cannot find the Mooring plugin SDK (plugins/sdk) in {} or above it: pass --sdk PATH",
        .0.display()
    )]
    NoSdk(PathBuf),
    /// `--sdk` does not point at the SDK.
    #[error("{} is not the mooring-plugin-sdk folder (no Cargo.toml naming it)", .0.display())]
    NotSdk(PathBuf),
    /// A file could not be written or read.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ScaffoldError + 'a {
    move |source| ScaffoldError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// `src/lib.rs` of a new plugin.
pub const LIB_RS: &str = include_str!("scaffold/lib.rs.tmpl");
/// `Cargo.toml` of a new plugin.
pub const CARGO_TOML: &str = include_str!("scaffold/Cargo.toml.tmpl");
/// `README.md` of a new plugin.
pub const README_MD: &str = include_str!("scaffold/README.md.tmpl");
/// `.cargo/config.toml` of a new plugin.
pub const CARGO_CONFIG: &str = include_str!("scaffold/cargo-config.toml.tmpl");
/// `.gitignore` of a new plugin.
pub const GITIGNORE: &str = include_str!("scaffold/gitignore.tmpl");

/// Whether `name` is a usable provider id and crate name.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `acme-books` → `Acme Books`.
pub fn title_of(name: &str) -> String {
    name.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fill `{{name}}`, `{{crate}}`, `{{title}}` and `{{sdk}}` in `template`.
pub fn render(template: &str, name: &str, sdk: &str) -> String {
    template
        .replace("{{name}}", name)
        .replace("{{crate}}", &name.replace('-', "_"))
        .replace("{{title}}", &title_of(name))
        .replace("{{sdk}}", sdk)
}

/// The SDK folder above `start` (`<dir>/plugins/sdk`, or `<dir>/sdk` in `plugins/`).
fn find_sdk(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        [dir.join("plugins").join("sdk"), dir.join("sdk")]
            .into_iter()
            .find(|candidate| is_sdk(candidate))
    })
}

fn is_sdk(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|text| text.contains("name = \"mooring-plugin-sdk\""))
}

/// `to` relative to `from` (both absolute), or `to` itself when they share no root.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common <= 1 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part.as_os_str());
    }
    out
}

/// Create the crate; returns its directory.
pub fn scaffold(args: &NewArgs, cwd: &Path) -> Result<PathBuf, ScaffoldError> {
    if !valid_name(&args.name) {
        return Err(ScaffoldError::BadName(args.name.clone()));
    }
    let dir = cwd.join(
        args.dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(&args.name)),
    );
    if dir.exists() {
        let mut entries = std::fs::read_dir(&dir).map_err(io("cannot read", &dir))?;
        if entries.next().is_some() {
            return Err(ScaffoldError::NotEmpty(dir));
        }
    }
    let sdk = match &args.sdk {
        Some(sdk) => {
            let sdk = cwd.join(sdk);
            if !is_sdk(&sdk) {
                return Err(ScaffoldError::NotSdk(sdk));
            }
            sdk
        }
        None => find_sdk(cwd).ok_or_else(|| ScaffoldError::NoSdk(cwd.to_path_buf()))?,
    };
    let sdk = sdk.canonicalize().map_err(io("cannot resolve", &sdk))?;
    std::fs::create_dir_all(dir.join("src")).map_err(io("cannot create", &dir))?;
    std::fs::create_dir_all(dir.join(".cargo")).map_err(io("cannot create", &dir))?;
    let dir = dir.canonicalize().map_err(io("cannot resolve", &dir))?;
    let sdk_text = relative(&dir, &sdk).to_string_lossy().replace('\\', "/");
    let name = &args.name;
    let files = [
        ("Cargo.toml", CARGO_TOML),
        ("src/lib.rs", LIB_RS),
        ("README.md", README_MD),
        (".cargo/config.toml", CARGO_CONFIG),
        (".gitignore", GITIGNORE),
    ];
    for (file, template) in files {
        let path = dir.join(file);
        std::fs::write(&path, render(template, name, &sdk_text))
            .map_err(io("cannot write", &path))?;
    }
    if let Some(lock) = sdk.parent().map(|w| w.join("Cargo.lock"))
        && lock.exists()
    {
        let path = dir.join("Cargo.lock");
        std::fs::copy(&lock, &path).map_err(io("cannot copy Cargo.lock to", &path))?;
    }
    Ok(dir)
}

/// `plugin new`: scaffold and say what to do next.
pub fn run(args: &NewArgs) -> Result<(), super::CliError> {
    let cwd = std::env::current_dir().map_err(super::CliError::io("cannot read", "."))?;
    let dir = scaffold(args, &cwd)?;
    let file = args.name.replace('-', "_");
    say(&format!(
        "created the {} plugin in {}",
        args.name,
        dir.display()
    ));
    say(&format!(
        "next:\n  cd {}\n  cargo build --release\n  cargo test --target $(rustc -vV | sed -n 's/^host: //p')\n  mooring plugin add target/wasm32-wasip2/release/{file}.wasm --activate --approve",
        dir.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["acme", "acme-books", "a1"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "1acme",
            "acme-",
            "acme_books",
            "ac me",
            &"a".repeat(65),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(title_of("acme-books"), "Acme Books");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/r/plugins/acme"), Path::new("/r/plugins/sdk")),
            PathBuf::from("../sdk")
        );
        assert_eq!(
            relative(Path::new("/tmp/x/acme"), Path::new("/r/plugins/sdk")),
            PathBuf::from("/r/plugins/sdk")
        );
    }

    #[test]
    fn templates_leave_no_placeholder() {
        for t in [LIB_RS, CARGO_TOML, README_MD, CARGO_CONFIG, GITIGNORE] {
            assert!(!render(t, "acme", "../sdk").contains("{{"));
        }
    }

    /// The author guide's example is the scaffold's `src/lib.rs` for `acme`, without
    /// its tests.
    #[test]
    fn the_author_guide_shows_the_template() {
        let guide = include_str!("../../../plugins/README.md");
        let lib = render(LIB_RS, "acme", "../sdk");
        let end = lib.find("#[cfg(test)]").unwrap_or(lib.len());
        let code = lib[..end].trim_end();
        assert!(
            guide.contains(code),
            "plugins/README.md must show src/lib.rs of `mooring plugin new acme` up to its tests"
        );
    }
}
