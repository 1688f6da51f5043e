//! Encryption of secrets at rest (Avito client secrets and access tokens).
//!
//! XChaCha20-Poly1305 with a random 24-byte nonce per value: random nonces of that size never
//! collide in practice, so no nonce counter has to be stored. A stored value is
//! `v1.<base64(nonce || ciphertext)>`; the version prefix leaves room for key rotation.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, Generate, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

/// A 32-byte key for encrypting secrets at rest. Its `Debug` hides the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

/// What is wrong with a key as written; never shows the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadKey(String);

impl SecretKey {
    pub const EXPECTED: &'static str = "32 random bytes as base64 (44 characters) or hex (64 characters), e.g. from `openssl rand -base64 32`";

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn parse(raw: &str) -> Result<Self, BadKey> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| BadKey(e.to_string()))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|_| BadKey("neither base64 nor 64 hex digits".to_owned()))?
        };
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| BadKey(format!("{} bytes instead of 32", b.len())))?;
        Ok(Self(array))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("stored secret is not in the expected format")]
    Malformed,
    #[error("stored secret cannot be decrypted with this SECRET_KEY (was the key changed?)")]
    WrongKey,
    #[error("encryption failed")]
    Encrypt,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "SECRET_KEY is not set: it is required with PostgreSQL; expected {}",
        SecretKey::EXPECTED
    )]
    MissingForPostgres,
    #[error("SECRET_KEY is not set and the key file {path} cannot be used: {reason}")]
    KeyFile { path: PathBuf, reason: String },
}

/// Where the secrets are kept, as far as their key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptIn<'a> {
    /// A database server: its key must be configured, a file beside it cannot be shared.
    Server,
    /// An in-memory database: nothing outlives the process.
    Memory,
    /// A database file: the key can live in a file beside it.
    File(&'a Path),
}

/// Where the key in use came from, so start-up can say so in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Environment,
    ExistingFile(PathBuf),
    CreatedFile(PathBuf),
    /// An in-memory SQLite database gets a throw-away key: nothing outlives the process.
    Ephemeral,
}

/// Encrypts and decrypts secrets with the process key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    pub fn new(key: &SecretKey) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.bytes().into()),
        }
    }

    pub fn encrypt(&self, plaintext: &str) -> Result<String, CryptoError> {
        let nonce = XNonce::generate();
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| CryptoError::Encrypt)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(nonce.as_slice());
        blob.extend_from_slice(&ciphertext);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(blob)
        ))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(CryptoError::Malformed)?;
        let blob = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|_| CryptoError::Malformed)?;
        if blob.len() < NONCE_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        let plaintext = self
            .cipher
            .decrypt(&nonce, ciphertext)
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::Malformed)
    }
}

/// Finds the key: the configured one (`SECRET_KEY`), else (SQLite only) a key file beside the
/// database, created with mode 0600 on first use.
pub fn resolve_key(
    configured: Option<&SecretKey>,
    kept_in: KeptIn<'_>,
) -> Result<(SecretKey, KeyOrigin), KeyError> {
    if let Some(key) = configured {
        return Ok((key.clone(), KeyOrigin::Environment));
    }
    match kept_in {
        KeptIn::Server => Err(KeyError::MissingForPostgres),
        KeptIn::Memory => Ok((random_key(), KeyOrigin::Ephemeral)),
        KeptIn::File(db) => load_or_create_key_file(&key_file_for(db)),
    }
}

/// `bot.sqlite` → `bot.sqlite.key`.
pub fn key_file_for(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn random_key() -> SecretKey {
    let key = chacha20poly1305::Key::generate();
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(key.as_slice());
    SecretKey::from_bytes(bytes)
}

fn load_or_create_key_file(path: &Path) -> Result<(SecretKey, KeyOrigin), KeyError> {
    let fail = |reason: String| KeyError::KeyFile {
        path: path.to_owned(),
        reason,
    };
    let read = |text: String| {
        let key = SecretKey::parse(&text).map_err(|e| fail(e.to_string()))?;
        Ok((key, KeyOrigin::ExistingFile(path.to_owned())))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => read(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_key();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
            }
            // Written aside, then linked into place: two processes starting at once on a new
            // machine never see a half-written key, and the one that links second uses the
            // winner's key instead of failing or encrypting with its own.
            static ASIDE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = ASIDE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let aside = path.with_extension(format!("new.{}.{n}", std::process::id()));
            write_private(&aside, &key).map_err(|e| fail(e.to_string()))?;
            let linked = std::fs::hard_link(&aside, path);
            let _ = std::fs::remove_file(&aside);
            match linked {
                Ok(()) => Ok((key, KeyOrigin::CreatedFile(path.to_owned()))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    read(std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?)
                }
                Err(e) => Err(fail(e.to_string())),
            }
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

fn write_private(path: &Path, key: &SecretKey) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{}", key.to_base64())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_secret_round_trips_and_hides_the_plaintext() {
        let sealed = SecretBox::new(&SecretKey::from_bytes([1; 32]));
        let stored = sealed.encrypt("client-secret-123").expect("encrypt");
        assert!(stored.starts_with("v1."));
        assert!(!stored.contains("client-secret-123"));
        assert_eq!(
            sealed.decrypt(&stored).expect("decrypt"),
            "client-secret-123"
        );
    }

    #[test]
    fn secret_key_accepts_base64_and_hex_of_32_bytes_only() {
        let hex = "00".repeat(32);
        assert!(SecretKey::parse(&hex).is_ok());
        let b64 = SecretKey::from_bytes([7; 32]).to_base64();
        assert_eq!(SecretKey::parse(&b64).expect("b64").bytes(), &[7; 32]);
        assert_eq!(
            SecretKey::parse("c2hvcnQ=")
                .expect_err("5 bytes")
                .to_string(),
            "5 bytes instead of 32"
        );
        assert_eq!(
            format!("{:?}", SecretKey::from_bytes([7; 32])),
            "SecretKey(***)"
        );
    }

    #[test]
    fn same_secret_encrypts_differently_each_time() {
        let sealed = SecretBox::new(&SecretKey::from_bytes([1; 32]));
        assert_ne!(
            sealed.encrypt("x").expect("encrypt"),
            sealed.encrypt("x").expect("encrypt")
        );
    }

    #[test]
    fn wrong_key_and_tampering_are_typed_errors() {
        let stored = SecretBox::new(&SecretKey::from_bytes([1; 32]))
            .encrypt("secret")
            .expect("encrypt");
        let other = SecretBox::new(&SecretKey::from_bytes([2; 32]));
        assert!(matches!(other.decrypt(&stored), Err(CryptoError::WrongKey)));
        assert!(matches!(
            other.decrypt("plain"),
            Err(CryptoError::Malformed)
        ));
        assert!(matches!(
            other.decrypt("v1.%%"),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn starts_racing_on_a_new_machine_share_one_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = key_file_for(&dir.path().join("bot.sqlite"));
        let keys: Vec<String> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| load_or_create_key_file(&path).expect("key").0.to_base64()))
                .collect();
            racers
                .into_iter()
                .map(|r| r.join().expect("racer"))
                .collect()
        });
        assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(left.len(), 1, "only the key file is left: {left:?}");
    }

    #[test]
    fn key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = key_file_for(&dir.path().join("bot.sqlite"));
        let (first, origin) = load_or_create_key_file(&path).expect("create");
        assert_eq!(origin, KeyOrigin::CreatedFile(path.clone()));
        let (second, origin) = load_or_create_key_file(&path).expect("load");
        assert_eq!(origin, KeyOrigin::ExistingFile(path.clone()));
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
