//! Release cookies: 40 bytes from the OS CSPRNG, URL-safe base64 with padding — what
//! `Base.url_encode64(:crypto.strong_rand_bytes(40))` gives — and where a run puts one.

use base64::Engine;

/// Where the release cookie goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieMode {
    /// A Fly secret: the `fly secrets set` command is printed (or run); no file holds the cookie.
    Secret,
    /// `RELEASE_COOKIE` in fly.toml's `[env]` (fly.toml is usually committed).
    FlyToml,
    /// The user manages it.
    None,
}

impl CookieMode {
    /// As `--cookie` and the JSON document name it.
    pub fn name(self) -> &'static str {
        match self {
            CookieMode::Secret => "secret",
            CookieMode::FlyToml => "fly-toml",
            CookieMode::None => "none",
        }
    }
}

pub fn generate() -> String {
    let mut bytes = [0u8; 40];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

/// The command that stores the cookie as a Fly secret.
pub fn secrets_command(cookie: &str, fly_app: &str) -> String {
    format!("fly secrets set RELEASE_COOKIE={cookie} --app {fly_app}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn cookies_are_56_url_safe_characters_and_differ() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.len(), 56);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
        );
        assert_ne!(a, b);
    }
}
