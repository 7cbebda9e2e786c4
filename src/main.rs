// mimalloc: glibc's malloc (its consolidation of freed chunks above all) took a fifth of the
// CPU of a tool call inside a served run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    skillet::main()
}
