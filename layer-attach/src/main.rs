use clap::Parser;

fn main() -> std::process::ExitCode {
    layer_core::cli::finish(
        "layer-attach",
        layer_attach::run(layer_attach::Args::parse()),
    )
}
