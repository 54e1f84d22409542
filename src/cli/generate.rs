//! `renewd generate DIR` (hidden): the man page and shell completions, from the clap
//! definition itself, so they never disagree with `--help`. Packaging runs it.

use std::fs;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// The files written, relative to the directory: (file, what it is).
pub const FILES: [(&str, &str); 4] = [
    ("renewd.1", "man page"),
    ("renewd.bash", "bash completion"),
    ("_renewd", "zsh completion"),
    ("renewd.fish", "fish completion"),
];

pub fn generate(dir: &Path) -> anyhow::Result<i32> {
    fs::create_dir_all(dir).with_context(|| format!("while creating {}", dir.display()))?;
    let mut man = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut man)
        .context("while rendering the man page")?;
    write(dir, FILES[0].0, &man)?;
    for (shell, (file, _)) in [Shell::Bash, Shell::Zsh, Shell::Fish]
        .into_iter()
        .zip(&FILES[1..])
    {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "renewd", &mut out);
        write(dir, file, &out)?;
    }
    for (file, what) in FILES {
        println!("{}: {what}", dir.join(file).display());
    }
    Ok(0)
}

fn write(dir: &Path, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(file);
    fs::write(&path, bytes).with_context(|| format!("while writing {}", path.display()))
}
