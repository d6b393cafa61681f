defmodule Hello18.Application do
  # See https://hexdocs.pm/elixir/Application.html
  # for more information on OTP Applications
  @moduledoc false

  use Application

  @impl true
  def start(_type, _args) do
    children = [
      Hello18Web.Telemetry,
      Hello18.Repo,
      {DNSCluster, query: Application.get_env(:hello18, :dns_cluster_query) || :ignore},
      {Phoenix.PubSub, name: Hello18.PubSub},
      # Start a worker by calling: Hello18.Worker.start_link(arg)
      # {Hello18.Worker, arg},
      # Start to serve requests, typically the last entry
      Hello18Web.Endpoint
    ]

    # See https://hexdocs.pm/elixir/Supervisor.html
    # for other strategies and supported options
    opts = [strategy: :one_for_one, name: Hello18.Supervisor]
    Supervisor.start_link(children, opts)
  end

  # Tell Phoenix to update the endpoint configuration
  # whenever the application is updated.
  @impl true
  def config_change(changed, _new, removed) do
    Hello18Web.Endpoint.config_change(changed, removed)
    :ok
  end
end
