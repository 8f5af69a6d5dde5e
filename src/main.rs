#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match opsdesk::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0; a wrong command line exits 2 with clap's message.
        Err(e) => e.exit(),
    };
    match opsdesk::cli::run(cli) {
        Ok(out) => {
            opsdesk::cli::print(&out);
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("opsdesk: {}", opsdesk::text::inert(&f.message, false));
            ExitCode::from(f.code)
        }
    }
}
