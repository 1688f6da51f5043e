fn main() -> std::process::ExitCode {
    avito_reports::cli::main()
}
