//! Fleet configs of any size: Reloadly lines renewed by date (`renews_on` far ahead, so
//! nothing is bought and no network call is made), written as TOML `[[lines]]` or as a CSV
//! inventory with one named policy.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The daemon, the carrier and the named policy every form shares.
fn head(state_dir: &Path, listen: Option<&str>) -> String {
    let listen = listen.map_or(String::new(), |l| format!("listen = \"{l}\"\n"));
    format!(
        "[daemon]\nstate_dir = \"{}\"\nmax_concurrent_checks = 64\n{listen}\n\
         [carriers.air]\ntype = \"reloadly\"\nclient_id = \"bench\"\nclient_secret_env = \"RENEWD_BENCH_SECRET\"\n\n",
        state_dir.display()
    )
}

const POLICY: &str = "expires_within = \"2d\"\nplan_days = 30\ntopup_amount = \"25.00 USD\"\n";

fn number(i: usize) -> String {
    format!("+1555{i:07}")
}

/// `dir/fleet.toml` with `n` `[[lines]]`, each with its own `[lines.policy]`.
pub fn toml(dir: &Path, n: usize, state_dir: &Path) -> PathBuf {
    let path = dir.join("fleet.toml");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create config"));
    f.write_all(head(state_dir, None).as_bytes()).unwrap();
    let mut s = String::with_capacity(256);
    for i in 0..n {
        s.clear();
        let _ = write!(
            s,
            "[[lines]]\nid = \"fleet-{i:06}\"\ncarrier = \"air\"\nnumber = \"{}\"\n\
             check = \"every 6h\"\nrenews_on = \"2027-06-15\"\n[lines.policy]\n{POLICY}\n",
            number(i)
        );
        f.write_all(s.as_bytes()).unwrap();
    }
    f.flush().unwrap();
    path
}

/// `dir/fleet-csv.toml` naming one policy, and `dir/sims.csv` with `n` rows.
pub fn csv(dir: &Path, n: usize, state_dir: &Path, listen: Option<&str>) -> PathBuf {
    let path = dir.join("fleet-csv.toml");
    let text = format!(
        "{}[policies.monthly-25]\n{POLICY}\n[[inventory]]\nfile = \"sims.csv\"\n",
        head(state_dir, listen)
    );
    std::fs::write(&path, text).expect("write config");
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("sims.csv")).unwrap());
    writeln!(f, "id,carrier,number,check,renews_on,policy").unwrap();
    for i in 0..n {
        writeln!(
            f,
            "fleet-{i:06},air,{},every 6h,2027-06-15,monthly-25",
            number(i)
        )
        .unwrap();
    }
    f.flush().unwrap();
    path
}
