use super::{CliResult, output};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Which schema.
    #[arg(value_enum)]
    which: Which,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Which {
    /// skillet.toml
    SkilletToml,
}

pub(super) fn run(args: &Args) -> CliResult {
    match args.which {
        Which::SkilletToml => Ok(output::print(&crate::config::Settings::json_schema())?),
    }
}
