fn main() -> std::process::ExitCode {
    skillet::cli::main()
}
