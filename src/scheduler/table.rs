//! The scheduler's state: every line's due time, a min-heap of fire times, and the
//! schedules shared by many lines. No I/O and no tokio; the loop in `mod.rs` drives it.

#![deny(clippy::arithmetic_side_effects)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use rand::RngExt;
use rand::rngs::SmallRng;

use super::{Entry, Fire, Options};
use crate::schedule::Schedule;

/// One schedule shared by every line written with it, with a memo of its last answer.
struct Shared {
    /// The parsed schedule.
    schedule: Schedule,
    /// `(from, next)`: `next_after(t) == next` for every `t` in `[from, next)`. Many lines
    /// share a schedule and fire at the same due time, so most look-ups skip croner.
    memo: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// What the scheduler knows about one line.
struct Line {
    /// Index into `Table::shared`.
    schedule: u32,
    /// The scheduled (unjittered) time of the pending fire; `None` for a cron that never
    /// fires again.
    due: Option<DateTime<Utc>>,
    /// The sequence number of this line's live heap entry; older entries are stale.
    seq: u64,
    /// A check is in flight (fired, no `Done` yet): a fire due now is skipped.
    running: bool,
}

/// A heap entry: fire `line` at `at` (due time plus jitter) if `seq` is still current.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    at: DateTime<Utc>,
    seq: u64,
    line: Arc<str>,
}

/// Lines, their fire heap and the options they were scheduled with.
pub(super) struct Table {
    opts: Options,
    shared: Vec<Shared>,
    lines: HashMap<Arc<str>, Line>,
    heap: BinaryHeap<Reverse<Slot>>,
    next_seq: u64,
    rng: SmallRng,
    /// Lines with a check in flight.
    pub running: usize,
    /// Fires skipped because the line's previous check was still running.
    pub skipped: u64,
}

impl Table {
    pub fn new(opts: Options) -> Self {
        Table {
            opts,
            shared: Vec::new(),
            lines: HashMap::new(),
            heap: BinaryHeap::new(),
            next_seq: 0,
            rng: rand::make_rng(),
            running: 0,
            skipped: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Replaces the set of lines. A line whose schedule (and the time zone) did not change
    /// keeps its due time and in-flight state; others are scheduled afresh.
    pub fn replace(&mut self, entries: Vec<Entry>, opts: Options, now: DateTime<Utc>) {
        let same_tz = opts.tz == self.opts.tz;
        let mut old_lines = std::mem::take(&mut self.lines);
        let old_shared = std::mem::take(&mut self.shared);
        self.opts = opts;
        let mut ids: HashMap<Schedule, u32> = HashMap::new();
        self.lines.reserve(entries.len());
        for entry in entries {
            let id = *ids.entry(entry.schedule).or_insert_with_key(|s| {
                self.shared.push(Shared {
                    schedule: s.clone(),
                    memo: None,
                });
                self.shared.len().saturating_sub(1) as u32
            });
            let kept = old_lines.remove(entry.line.as_str()).filter(|old| {
                same_tz
                    && old_shared[old.schedule as usize].schedule
                        == self.shared[id as usize].schedule
            });
            let line: Arc<str> = Arc::from(entry.line);
            match kept {
                Some(old) => {
                    self.lines.insert(
                        line,
                        Line {
                            schedule: id,
                            ..old
                        },
                    );
                }
                None => self.add(line, id, entry.last_check, now),
            }
        }
        self.running = self.lines.values().filter(|l| l.running).count();
        self.compact();
    }

    /// Schedules a new line: soon if never checked or overdue, else at its next time.
    fn add(
        &mut self,
        line: Arc<str>,
        id: u32,
        last_check: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        let due = match last_check {
            None => Some(now),
            // A last check in the future: the clock went back while renewd was down.
            Some(t) => self.next_after(id, t.min(now)),
        };
        let seq = self.push(&line, due, now);
        self.lines.insert(
            line,
            Line {
                schedule: id,
                due,
                seq,
                running: false,
            },
        );
    }

    /// Pushes a heap entry firing at `max(due, now)` plus jitter; returns its sequence.
    fn push(&mut self, line: &Arc<str>, due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u64 {
        self.next_seq = self.next_seq.wrapping_add(1);
        if let Some(due) = due {
            let base = due.max(now);
            let at = base.checked_add_signed(self.jitter()).unwrap_or(base);
            self.heap.push(Reverse(Slot {
                at,
                seq: self.next_seq,
                line: line.clone(),
            }));
        }
        self.next_seq
    }

    fn jitter(&mut self) -> TimeDelta {
        let max = self.opts.jitter.as_millis() as i64;
        if max == 0 {
            return TimeDelta::zero();
        }
        TimeDelta::milliseconds(self.rng.random_range(0..=max))
    }

    /// The first time of schedule `id` strictly after `t`, from the memo when it covers `t`.
    fn next_after(&mut self, id: u32, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz: Tz = self.opts.tz;
        let shared = &mut self.shared[id as usize];
        if let Schedule::Every(_) = shared.schedule {
            return shared.schedule.next_after(t, tz);
        }
        if let Some((from, next)) = shared.memo
            && from <= t
            && t < next
        {
            return Some(next);
        }
        let next = shared.schedule.next_after(t, tz)?;
        // Nothing fires in (t, next), so every time in [t, next) has the same answer.
        shared.memo = Some((t, next));
        Some(next)
    }

    /// The earliest live fire time and its line, dropping stale entries off the top.
    pub fn peek(&mut self) -> Option<(DateTime<Utc>, &Arc<str>)> {
        while let Some(Reverse(top)) = self.heap.peek() {
            if self.lines.get(&top.line).is_some_and(|l| l.seq == top.seq) {
                break;
            }
            self.heap.pop();
        }
        self.heap.peek().map(|Reverse(s)| (s.at, &s.line))
    }

    /// Takes the next fire due at `now`, reschedules its line, and returns it unless the
    /// line's previous check is still running (then the fire is skipped and counted).
    pub fn pop_due(&mut self, now: DateTime<Utc>) -> Option<Fire> {
        loop {
            let (at, _) = self.peek()?;
            if at > now {
                return None;
            }
            let Reverse(slot) = self.heap.pop()?;
            let line = self.lines.get(&slot.line)?;
            let (id, due, running) = (line.schedule, line.due?, line.running);
            let next = match self.next_after(id, due) {
                Some(n) if n <= now => self.next_after(id, now),
                other => other,
            };
            let seq = self.push(&slot.line, next, now);
            let line = self.lines.get_mut(&slot.line)?;
            (line.due, line.seq) = (next, seq);
            if running {
                self.skipped = self.skipped.saturating_add(1);
                continue;
            }
            line.running = true;
            self.running = self.running.saturating_add(1);
            return Some(Fire {
                line: slot.line,
                due,
            });
        }
    }

    /// The wall clock stepped back by `step`: an `every` line keeps its interval on
    /// monotonic time (its due time moves back by the step), a cron line takes its next
    /// time on the new wall clock. Neither waits for the clock to pass the old time.
    pub fn stepped_back(&mut self, step: TimeDelta, now: DateTime<Utc>) {
        let names: Vec<Arc<str>> = self.lines.keys().cloned().collect();
        for name in names {
            let Some(line) = self.lines.get(&name) else {
                continue;
            };
            let (id, due) = (line.schedule, line.due);
            let due = match (&self.shared[id as usize].schedule, due) {
                (Schedule::Every(_), Some(d)) => d.checked_sub_signed(step).or(Some(now)),
                _ => self.next_after(id, now),
            };
            let seq = self.push(&name, due, now);
            if let Some(line) = self.lines.get_mut(&name) {
                (line.due, line.seq) = (due, seq);
            }
        }
        self.compact();
    }

    /// Marks `line`'s check finished so its next fire is delivered.
    pub fn done(&mut self, line: &str) {
        if let Some(l) = self.lines.get_mut(line)
            && l.running
        {
            l.running = false;
            self.running = self.running.saturating_sub(1);
        }
    }

    /// Drops stale heap entries once they outnumber the live ones.
    fn compact(&mut self) {
        let live = self.lines.len().saturating_mul(2).saturating_add(1024);
        if self.heap.len() <= live {
            return;
        }
        let lines = &self.lines;
        self.heap
            .retain(|Reverse(s)| lines.get(&s.line).is_some_and(|l| l.seq == s.seq));
    }
}
