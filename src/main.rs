fn main() -> std::process::ExitCode {
    skillet::main()
}
