//! The four HTTP carriers of the kill sweep: a fresh fake server per kill point, the config
//! of one line on it (reached through a proxy), the needle of its purchase request, and
//! the provider's own count of what it sold.

use std::path::Path;

use super::{airalo_server, ding_server, onence_server, reloadly_server};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Airalo,
    OneNce,
    Reloadly,
    Ding,
}

pub const KINDS: [Kind; 4] = [Kind::Airalo, Kind::OneNce, Kind::Reloadly, Kind::Ding];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Airalo => "airalo",
            Kind::OneNce => "1nce",
            Kind::Reloadly => "reloadly",
            Kind::Ding => "dingconnect",
        }
    }

    /// Whether a lookup can confirm a purchase renewd never heard back about. 1NCE takes
    /// no client reference: only the order number from its reply identifies the order.
    pub fn lookup_confirms(self) -> bool {
        self != Kind::OneNce
    }

    /// Bytes only the purchase request carries (request line or body field).
    pub fn purchase_needle(self) -> &'static str {
        match self {
            Kind::Airalo => "POST /v2/orders/topups ",
            Kind::OneNce => "POST /management-api/v1/sims/",
            Kind::Reloadly => "POST /topups-async ",
            Kind::Ding => "\"ValidateOnly\":false",
        }
    }
}

/// One running fake provider.
pub enum Provider {
    Airalo(airalo_server::Server),
    OneNce(onence_server::Server),
    Reloadly(String, reloadly_server::Shared),
    Ding(String, ding_server::Shared),
}

impl Provider {
    pub async fn start(kind: Kind) -> Self {
        match kind {
            Kind::Airalo => Provider::Airalo(airalo_server::Server::start().await),
            Kind::OneNce => Provider::OneNce(onence_server::Server::start().await),
            Kind::Reloadly => {
                let (url, fake) = reloadly_server::start().await;
                Provider::Reloadly(url, fake)
            }
            Kind::Ding => {
                let (url, fake) = ding_server::start().await;
                Provider::Ding(url, fake)
            }
        }
    }

    /// The server's `host:port`.
    pub fn addr(&self) -> String {
        let url = match self {
            Provider::Airalo(s) => &s.base,
            Provider::OneNce(s) => &s.base,
            Provider::Reloadly(u, _) | Provider::Ding(u, _) => u,
        };
        let rest = url.strip_prefix("http://").expect("http url");
        rest.split('/').next().unwrap().to_string()
    }

    /// Purchases the provider made (its own record, not renewd's).
    pub fn purchases(&self) -> usize {
        match self {
            Provider::Airalo(s) => s.with(|f| f.orders.len()),
            Provider::OneNce(s) => s.with(|f| f.orders.len()),
            Provider::Reloadly(_, f) => f.lock().unwrap().purchases,
            Provider::Ding(_, f) => f.lock().unwrap().purchases,
        }
    }

    /// The carrier and line sections of a config reaching the provider at `via` (host:port).
    pub fn toml(&self, via: &str, dir: &Path) -> String {
        let swap = |url: &str| url.replace(&self.addr(), via);
        match self {
            Provider::Airalo(s) => {
                let secret = dir.join("airalo-secret");
                std::fs::write(&secret, airalo_server::SECRET).unwrap();
                format!(
                    "[carriers.c]\ntype = \"airalo\"\nclient_id = \"cid\"\nclient_secret_file = {secret:?}\nbase_url = {base:?}\n\
                     [[lines]]\nid = \"line\"\ncarrier = \"c\"\niccid = {iccid:?}\ncheck = \"every 1s\"\n\
                     [lines.policy]\ndata_below = \"1 GB\"\ntopup_package = {pkg:?}\ntopup_amount = \"10.00 USD\"\n",
                    secret = secret.display().to_string(),
                    base = swap(&s.base),
                    iccid = airalo_server::ICCID,
                    pkg = airalo_server::PACKAGE,
                )
            }
            Provider::OneNce(s) => format!(
                "[carriers.c]\ntype = \"1nce\"\nusername = {user:?}\npassword_env = \"TEST_1NCE_PASSWORD\"\nbase_url = {base:?}\n\
                 [[lines]]\nid = \"line\"\ncarrier = \"c\"\niccid = {iccid:?}\ncheck = \"every 1s\"\n\
                 [lines.policy]\ndata_below = \"500 MB\"\ntopup_amount = \"10.00 EUR\"\n",
                user = onence_server::USER,
                base = swap(&s.base),
                iccid = onence_server::ICCID,
            ),
            Provider::Reloadly(url, _) => {
                let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
                format!(
                    "[carriers.c]\ntype = \"reloadly\"\nclient_id = \"cid\"\nclient_secret_env = \"RELOADLY_SECRET\"\nbase_url = {u:?}\nauth_url = {u:?}\n\
                     [[lines]]\nid = \"line\"\ncarrier = \"c\"\nnumber = \"+15555550123\"\noperator_id = 1234\nrenews_on = \"{tomorrow}\"\ncheck = \"every 1s\"\n\
                     [lines.policy]\nexpires_within = \"2d\"\nplan_days = 30\ntopup_amount = \"25.00 USD\"\n",
                    u = swap(url),
                )
            }
            Provider::Ding(url, _) => {
                let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
                let args = dir.join("modem-args");
                format!(
                    "[carriers.c]\ntype = \"dingconnect\"\napi_key_env = \"DING_KEY\"\nbase_url = {u:?}\n\
                     [carriers.modem]\ntype = \"command\"\nstatus = [\"{s}/status_ok.sh\", \"{{number}}\"]\n\
                     topup = [\"{s}/record_args.sh\", {args:?}, \"{{number}}\", \"{{amount}}\", \"{{reference}}\"]\ntimeout = \"10s\"\n\
                     [[lines]]\nid = \"line\"\ncarrier = \"c\"\nnumber = \"+15555550123\"\nsku_code = \"XXUS12345\"\nstatus_from = \"modem\"\ncheck = \"every 1s\"\n\
                     [lines.policy]\nbalance_below = \"6.00 USD\"\ntopup_amount = \"10.00 USD\"\n",
                    u = swap(url),
                    s = scripts.display(),
                    args = args.display().to_string(),
                )
            }
        }
    }
}

/// The environment the daemon needs for every carrier's secrets.
pub const SECRETS_ENV: [(&str, &str); 3] = [
    ("TEST_1NCE_PASSWORD", onence_server::PASSWORD),
    ("RELOADLY_SECRET", "csecret"),
    ("DING_KEY", "ding-key"),
];
