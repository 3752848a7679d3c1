use clap::Parser;

fn main() -> std::process::ExitCode {
    layer_core::cli::finish("layer-watch", layer_watch::run(layer_watch::Args::parse()))
}
