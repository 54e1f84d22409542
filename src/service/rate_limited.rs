//! 429 replies per carrier for `/metrics`: read from the running adapters at each scrape,
//! plus what the adapters a reload replaced had counted, so the counter never goes back.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::carriers::Carriers;

/// The adapters being counted and the counts of those replaced.
#[derive(Default)]
pub struct RateLimited {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Per carrier name, 429s counted by adapters no longer in use.
    retired: BTreeMap<String, u64>,
    /// The running adapters.
    current: Carriers,
}

impl RateLimited {
    /// Counts `carriers` from now on (at start and after each reload); the replaced
    /// adapters' counts are kept. (A 429 an old adapter still draws afterwards, in a check
    /// that began before the reload, is not counted.)
    pub fn watch(&self, carriers: &Carriers) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let old = std::mem::replace(&mut inner.current, carriers.clone());
        for (name, c) in old {
            let n = inner.retired.entry(name).or_default();
            *n = n.saturating_add(c.rate_limited());
        }
    }

    /// Per carrier name (every running one, and those a reload removed), its 429s.
    pub fn totals(&self) -> BTreeMap<String, u64> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = inner.retired.clone();
        for (name, c) in &inner.current {
            let n = out.entry(name.clone()).or_default();
            *n = n.saturating_add(c.rate_limited());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;
    use crate::carriers::{Carrier, CarrierError, Lookup, Order, Reports, Submitted};
    use crate::config::Line;
    use crate::model::Observation;

    /// An adapter that has had `0` 429s.
    struct Counted(u64);

    #[async_trait]
    impl Carrier for Counted {
        fn reports(&self) -> Reports {
            Reports::default()
        }
        fn rate_limited(&self) -> u64 {
            self.0
        }
        async fn status(&self, _: &Line) -> Result<Observation, CarrierError> {
            unreachable!()
        }
        async fn top_up(&self, _: &Line, _: &Order) -> Result<Submitted, CarrierError> {
            unreachable!()
        }
        async fn lookup(&self, _: &Line, _: &Order) -> Result<Lookup, CarrierError> {
            unreachable!()
        }
    }

    fn carriers(list: &[(&str, u64)]) -> Carriers {
        list.iter()
            .map(|(n, c)| (n.to_string(), Arc::new(Counted(*c)) as Arc<dyn Carrier>))
            .collect()
    }

    #[test]
    fn a_reload_keeps_the_counts_of_the_replaced_adapters() {
        let r = RateLimited::default();
        r.watch(&carriers(&[("iot", 3), ("travel", 0)]));
        let want = |l: &[(&str, u64)]| l.iter().map(|(n, c)| (n.to_string(), *c)).collect();
        assert_eq!(r.totals(), want(&[("iot", 3), ("travel", 0)]));
        r.watch(&carriers(&[("iot", 1)]));
        assert_eq!(r.totals(), want(&[("iot", 4), ("travel", 0)]));
    }
}
