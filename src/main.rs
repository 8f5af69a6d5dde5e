#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match opsdesk::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0; a wrong command line exits 2 with clap's message.
        Err(e) => e.exit(),
    };
    let code = match opsdesk::cli::run(cli) {
        Ok(out) => {
            opsdesk::cli::print(&out);
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("opsdesk: {}", opsdesk::text::inert(&f.message, true));
            ExitCode::from(f.code)
        }
    };
    // The result is out; hooks started by the command finish (each within its time limit)
    // before the process ends. What they did wrong does not change the exit code: the write
    // stands.
    for failure in opsdesk::hooks::wait_all() {
        eprintln!("opsdesk: {}", opsdesk::text::inert(&failure, false));
    }
    code
}
