defmodule Cluster.MixProject do
  use Mix.Project

  # A stand-in for the `libcluster` hex package, used by tests/e2e/cluster.sh --strategy libcluster
  # where hex packages cannot be fetched. Same application name, and the same modules and contract
  # for what the generated code uses: `Cluster.Supervisor` and `Cluster.Strategy.DNSPoll`.
  def project do
    [
      app: :libcluster,
      version: "3.5.0",
      elixir: "~> 1.11",
      deps: []
    ]
  end

  # Like libcluster 3.x, no application callback: nothing starts unless the app adds a
  # `Cluster.Supervisor` child, which is what flycluster's generated setup must do.
  def application do
    [extra_applications: [:logger]]
  end
end
