//! Rate-limit state per provider account, shared by every adapter built with one
//! `Accounts`: two carrier sections on one account count against one limit, and so do
//! the old and the new adapter while a reload swaps them. Held weakly: an account's state
//! lives as long as an adapter uses it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The accounts' shared state, by key (provider, API root, account id, limit).
#[derive(Default)]
pub struct Accounts {
    shared: Mutex<HashMap<String, Weak<dyn Any + Send + Sync>>>,
}

impl Accounts {
    /// The state kept under `key`, made with `make` when no live adapter holds one.
    pub fn shared<T: Any + Send + Sync>(&self, key: String, make: impl FnOnce() -> T) -> Arc<T> {
        let mut map = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, held| held.strong_count() > 0);
        let found = map.get(&key).and_then(Weak::upgrade);
        if let Some(state) = found.and_then(|a| a.downcast::<T>().ok()) {
            return state;
        }
        let made = Arc::new(make());
        let erased: Arc<dyn Any + Send + Sync> = made.clone();
        map.insert(key, Arc::downgrade(&erased));
        made
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_one_state_while_held_then_a_fresh_one() {
        let accounts = Accounts::default();
        let a = accounts.shared("airalo x id 5".into(), || Mutex::new(1));
        let b = accounts.shared("airalo x id 5".into(), || Mutex::new(2));
        assert!(Arc::ptr_eq(&a, &b), "the same account shares");
        let other = accounts.shared("airalo x other 5".into(), || Mutex::new(3));
        assert!(!Arc::ptr_eq(&a, &other), "another account does not");
        *a.lock().unwrap() = 7;
        drop((a, b));
        let fresh = accounts.shared("airalo x id 5".into(), || Mutex::new(4));
        assert_eq!(*fresh.lock().unwrap(), 4, "nothing held it: made again");
    }
}
