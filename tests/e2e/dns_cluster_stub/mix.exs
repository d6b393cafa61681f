defmodule DNSCluster.MixProject do
  use Mix.Project

  # A stand-in for the `dns_cluster` hex package, used by tests/e2e/cluster.sh where hex packages
  # cannot be fetched. Same application name, module and child-spec contract.
  def project do
    [
      app: :dns_cluster,
      version: "0.2.0",
      elixir: "~> 1.11",
      deps: []
    ]
  end

  def application do
    [extra_applications: [:logger]]
  end
end
