//! The `pont` binary: everything is in the library (`pont::cli`).

fn main() -> std::process::ExitCode {
    pont::cli::main()
}
