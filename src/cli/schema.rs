use super::{CliResult, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which schema.
    #[arg(value_enum)]
    which: Which,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Which {
    /// skillet.toml
    SkilletToml,
}

pub fn run(args: &Args) -> CliResult {
    match args.which {
        Which::SkilletToml => Ok(output::print(&crate::config::Settings::json_schema())?),
    }
}
