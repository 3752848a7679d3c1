use clap::Parser;

fn main() -> std::process::ExitCode {
    layer_core::cli::finish("layer-bump", layer_bump::run(layer_bump::Args::parse()))
}
