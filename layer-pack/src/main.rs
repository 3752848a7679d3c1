use clap::Parser;

fn main() -> std::process::ExitCode {
    layer_core::cli::finish("layer-pack", layer_pack::run(layer_pack::Args::parse()))
}
