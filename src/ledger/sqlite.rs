//! The SQLite ledger (placeholder until the store lands).

/// The SQLite-backed ledger.
pub struct SqliteLedger;
