defmodule HelloDone.Application do
  # See https://hexdocs.pm/elixir/Application.html
  # for more information on OTP Applications
  @moduledoc false

  use Application

  @impl true
  def start(_type, _args) do
    children = [
      HelloDoneWeb.Telemetry,
      HelloDone.Repo,
      {DNSCluster, query: Application.get_env(:hello_done, :dns_cluster_query) || :ignore},
      {Phoenix.PubSub, name: HelloDone.PubSub},
      # Start a worker by calling: HelloDone.Worker.start_link(arg)
      # {HelloDone.Worker, arg},
      # Start to serve requests, typically the last entry
      HelloDoneWeb.Endpoint
    ]

    # See https://hexdocs.pm/elixir/Supervisor.html
    # for other strategies and supported options
    opts = [strategy: :one_for_one, name: HelloDone.Supervisor]
    Supervisor.start_link(children, opts)
  end

  # Tell Phoenix to update the endpoint configuration
  # whenever the application is updated.
  @impl true
  def config_change(changed, _new, removed) do
    HelloDoneWeb.Endpoint.config_change(changed, removed)
    :ok
  end
end
