//! `renewd generate DIR`: the man page and completions come from the real CLI definition.

mod common;

use common::{Env, read, stderr};

#[test]
fn generate_writes_the_man_page_and_completions() {
    let env = Env::new("");
    let dir = env.state().join("assets");
    let out = env.renewd(&["generate", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let man = read(&dir.join("renewd.1"));
    assert!(man.contains(".TH renewd 1"), "{man}");
    for sub in ["check", "once", "status", "history", "resolve"] {
        assert!(man.contains(sub), "the man page lacks {sub}");
        for file in ["renewd.bash", "_renewd", "renewd.fish"] {
            let text = read(&dir.join(file));
            assert!(text.contains(sub), "{file} does not complete {sub}");
        }
    }
    let help = env.renewd(&["--help"]);
    assert!(
        !String::from_utf8_lossy(&help.stdout).contains("generate"),
        "hidden from --help"
    );
}
