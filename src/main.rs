// glibc's allocator took a fifth of the processes' CPU in the agency benchmark (many small,
// short-lived allocations across threads: answers parsed, rows read, messages built).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    avito_reports::cli::main()
}
