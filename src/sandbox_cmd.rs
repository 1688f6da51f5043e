use std::future::Future;
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {}
pub async fn run(_args: SandboxArgs, _shutdown: impl Future<Output = ()>) -> anyhow::Result<()> { Ok(()) }
