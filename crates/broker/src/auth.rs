//! Bearer tokens: 256 random bits, hex-encoded, shown to their user once; the broker keeps
//! only their BLAKE3 hash, with an expiry and a revoked flag checked on every call.

use crate::error::BrokerError;
use tonic::metadata::MetadataMap;

/// What a user may do; one role per user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Researcher,
    Steward,
    Admin,
    /// Ministry staff: checked outputs directly, through Flight SQL.
    Analyst,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Researcher => "researcher",
            Role::Steward => "steward",
            Role::Admin => "admin",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Researcher, Role::Steward, Role::Admin, Role::Analyst]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The authenticated user of a call.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: String,
    pub role: Role,
}

impl Caller {
    /// PermissionDenied unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), BrokerError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let wanted: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(BrokerError::PermissionDenied(format!(
            "this call needs the role {}; {} is a {}",
            wanted.join(" or "),
            self.user,
            self.role.as_str()
        )))
    }
}

/// A new token and the hash the broker stores for it.
pub struct NewToken {
    /// 64 hex digits; given to the user once, never stored.
    pub secret: String,
    pub hash: String,
}

pub fn new_token() -> Result<NewToken, BrokerError> {
    let mut bits = [0u8; 32];
    getrandom::fill(&mut bits).map_err(|e| BrokerError::Io(format!("the system random source failed: {e}")))?;
    let secret = hex::encode(bits);
    let hash = token_hash(&secret);
    Ok(NewToken { secret, hash })
}

/// The stored form of a token: BLAKE3, hex.
pub fn token_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

/// The token of `authorization: Bearer <token>`.
pub fn bearer(metadata: &MetadataMap) -> Result<&str, BrokerError> {
    let value = metadata.get("authorization").ok_or(BrokerError::Unauthenticated(
        "no authorization metadata (expected `Bearer <token>`)",
    ))?;
    let value = value
        .to_str()
        .map_err(|_| BrokerError::Unauthenticated("the authorization metadata is not text"))?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(BrokerError::Unauthenticated(
            "the authorization metadata is not `Bearer <token>`",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_only_their_hash_is_kept() {
        let a = new_token().expect("random source");
        let b = new_token().expect("random source");
        assert_eq!(a.secret.len(), 64);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.hash, token_hash(&a.secret));
        assert_ne!(a.hash, a.secret);
    }

    #[test]
    fn bearer_needs_the_scheme_and_a_token() {
        let mut m = MetadataMap::new();
        assert!(bearer(&m).is_err());
        m.insert("authorization", "Basic abc".parse().expect("ascii"));
        assert!(bearer(&m).is_err());
        m.insert("authorization", "Bearer abc".parse().expect("ascii"));
        assert_eq!(bearer(&m).expect("a bearer token"), "abc");
    }
}
