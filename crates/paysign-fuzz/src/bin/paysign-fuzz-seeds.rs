//! Writes the seed inputs as `<dir>/<target>/seed-<name>` (usage: `paysign-fuzz-seeds <dir>`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: paysign-fuzz-seeds <corpus dir>");
        return ExitCode::from(2);
    };
    let seeds = match paysign_fuzz::seeds::all() {
        Ok(seeds) => seeds,
        Err(e) => {
            eprintln!("paysign-fuzz-seeds: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (target, name, bytes) in seeds {
        let target_dir = std::path::Path::new(&dir).join(target);
        let written = std::fs::create_dir_all(&target_dir)
            .and_then(|()| std::fs::write(target_dir.join(&name), bytes));
        if let Err(e) = written {
            eprintln!("paysign-fuzz-seeds: {target}/{name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
