//! The kill sweep's phases (where a kill lands) and its tally: what each point left behind,
//! summed per phase and carrier, printed as a table.

use std::collections::BTreeMap;
use std::time::Duration;

use super::kill_proxy::When;
use super::sweep_carriers::Kind;

/// Which connection the kill watches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    Carrier,
    Mail,
}

/// A place for a kill: a needle on one connection, when relative to it, and a seeded
/// delay range in ms (`base`, `base + spread`).
pub struct Phase {
    pub name: &'static str,
    pub target: Target,
    needle: Option<&'static str>,
    pub when: When,
    pub delay_ms: (u64, u64),
}

impl Phase {
    /// The bytes to watch for; `None` means the carrier's purchase request.
    pub fn needle(&self, kind: Kind) -> &'static str {
        self.needle.unwrap_or(kind.purchase_needle())
    }
}

/// End of SMTP DATA (the lone dot line).
const DATA_END: &str = "\r\n.\r\n";
/// Any HTTP request line.
const ANY_REQUEST: &str = " HTTP/1.1\r\n";

pub const PHASES: [Phase; 7] = [
    Phase {
        name: "around the intent (1st request + 0-60 ms)",
        target: Target::Carrier,
        needle: Some(ANY_REQUEST),
        when: When::AfterReply,
        delay_ms: (0, 60),
    },
    Phase {
        name: "purchase in flight (held, unsent)",
        target: Target::Carrier,
        needle: None,
        when: When::Request,
        delay_ms: (0, 20),
    },
    Phase {
        name: "provider accepted, reply held",
        target: Target::Carrier,
        needle: None,
        when: When::Reply,
        delay_ms: (0, 20),
    },
    Phase {
        name: "reply read, before ledger (0-10 ms)",
        target: Target::Carrier,
        needle: None,
        when: When::AfterReply,
        delay_ms: (0, 10),
    },
    Phase {
        name: "SMTP DATA in flight (unsent)",
        target: Target::Mail,
        needle: Some(DATA_END),
        when: When::Request,
        delay_ms: (0, 20),
    },
    Phase {
        name: "SMTP DATA accepted, 250 held",
        target: Target::Mail,
        needle: Some(DATA_END),
        when: When::Reply,
        delay_ms: (0, 20),
    },
    Phase {
        name: "SMTP 250 read, before mark-sent (0-50 ms)",
        target: Target::Mail,
        needle: Some(DATA_END),
        when: When::AfterReply,
        delay_ms: (0, 50),
    },
];

/// What one kill point left behind.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub points: usize,
    pub killed: usize,
    pub unsettled: usize,
    pub paid: usize,
    pub double: usize,
    pub confirmed: usize,
    pub paid_not_confirmed: usize,
    /// Left `unknown` with nothing bought (the request never reached the provider).
    pub unknown_unpaid: usize,
    /// Failed with nothing bought (killed before the request went out; retried later).
    pub failed_unpaid: usize,
    /// Paid top-ups a person had to settle with `renewd resolve --paid`.
    pub asked: usize,
    pub receipts: usize,
    pub resent: usize,
    /// Ledger state of the newest top-up right after the kill ("none" if no row).
    pub after_kill: BTreeMap<String, usize>,
    /// What went wrong at a point, to reproduce it (seed, point, log tails).
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn new(
        killed: bool,
        settled: bool,
        after_kill: Vec<String>,
        paid: usize,
        history: &[serde_json::Value],
        receipts: usize,
    ) -> Self {
        let confirmed = history.iter().filter(|t| t["state"] == "confirmed").count();
        let unknown = history.iter().filter(|t| t["state"] == "unknown").count();
        let failed = history.iter().filter(|t| t["state"] == "failed").count();
        let last = after_kill.last().cloned().unwrap_or_else(|| "none".into());
        Self {
            points: 1,
            killed: killed as usize,
            unsettled: !settled as usize,
            paid,
            double: paid.saturating_sub(1),
            confirmed,
            paid_not_confirmed: paid.saturating_sub(confirmed),
            unknown_unpaid: (paid == 0 && unknown > 0) as usize,
            failed_unpaid: (paid == 0 && unknown == 0 && failed > 0) as usize,
            asked: 0,
            receipts,
            resent: receipts.saturating_sub(confirmed),
            after_kill: BTreeMap::from([(last, 1)]),
            notes: Vec::new(),
        }
    }

    fn add(&mut self, o: &Outcome) {
        self.points += o.points;
        self.killed += o.killed;
        self.unsettled += o.unsettled;
        self.paid += o.paid;
        self.double += o.double;
        self.confirmed += o.confirmed;
        self.paid_not_confirmed += o.paid_not_confirmed;
        self.unknown_unpaid += o.unknown_unpaid;
        self.failed_unpaid += o.failed_unpaid;
        self.asked += o.asked;
        self.receipts += o.receipts;
        self.resent += o.resent;
        self.notes.extend(o.notes.iter().cloned());
        for (k, v) in &o.after_kill {
            *self.after_kill.entry(k.clone()).or_default() += v;
        }
    }

    fn row(&self, label: &str) -> String {
        let states: Vec<String> = self
            .after_kill
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        format!(
            "{label:<44} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4}  {}\n",
            self.points,
            self.killed,
            self.paid,
            self.double,
            self.confirmed,
            self.paid_not_confirmed,
            self.asked,
            self.unknown_unpaid,
            self.failed_unpaid,
            self.unsettled,
            self.receipts,
            self.resent,
            states.join(" ")
        )
    }
}

/// The whole sweep's tally.
pub struct Report {
    seed: u64,
    total: Outcome,
    by_phase: BTreeMap<usize, Outcome>,
    by_carrier: BTreeMap<&'static str, Outcome>,
    elapsed: Duration,
}

impl Report {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            total: Outcome {
                points: 0,
                ..Outcome::default()
            },
            by_phase: BTreeMap::new(),
            by_carrier: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn add(&mut self, kind: Kind, phase: &Phase, o: Outcome) {
        let idx = PHASES.iter().position(|p| p.name == phase.name).unwrap();
        let zero = || Outcome {
            points: 0,
            ..Outcome::default()
        };
        self.by_phase.entry(idx).or_insert_with(zero).add(&o);
        self.by_carrier
            .entry(kind.name())
            .or_insert_with(zero)
            .add(&o);
        self.total.add(&o);
    }

    pub fn double_purchases(&self) -> usize {
        self.total.double
    }

    pub fn paid_not_confirmed(&self) -> usize {
        self.total.paid_not_confirmed
    }

    pub fn unsettled(&self) -> usize {
        self.total.unsettled
    }

    pub fn table(&self) -> String {
        let mut s = format!(
            "kill sweep: seed {}, {} points in {:.0?}\n{:<44} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4}  {}\n",
            self.seed,
            self.total.points,
            self.elapsed,
            "where",
            "pts",
            "kill",
            "paid",
            "dbl",
            "conf",
            "p!c",
            "ask",
            "unk0",
            "fal0",
            "open",
            "rcpt",
            "resnt",
            "ledger after kill"
        );
        for (i, o) in &self.by_phase {
            s += &o.row(PHASES[*i].name);
        }
        for (name, o) in &self.by_carrier {
            s += &o.row(&format!("carrier {name}"));
        }
        s += &self.total.row("total");
        let pct = if self.total.receipts == 0 {
            0.0
        } else {
            100.0 * self.total.resent as f64 / self.total.receipts as f64
        };
        s += &format!(
            "receipts re-sent: {} of {} delivered ({pct:.1}%)\n\
             columns: dbl = purchases beyond one per point, p!c = paid but not confirmed, \
             ask = paid, confirmed by `renewd resolve --paid` (carrier without a client reference), \
             unk0 = left unknown with nothing bought (awaits `renewd resolve`), \
             fal0 = failed with nothing bought (never sent; bought after the retry pause), open = not settled in 30 s;\n\
             a kill with the server's 250 held re-sends by design (delivery is at least once)\n",
            self.total.resent, self.total.receipts
        );
        for note in &self.total.notes {
            s += &format!("{note}\n");
        }
        s
    }

    /// Prints the table and writes it next to the other test output.
    pub fn finish(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
        let table = self.table();
        println!("{table}");
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kill-sweep-summary.txt");
        let _ = std::fs::write(path, &table);
    }
}
