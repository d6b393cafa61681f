defmodule Hello15.Application do
  # See https://hexdocs.pm/elixir/Application.html
  # for more information on OTP Applications
  @moduledoc false

  use Application

  def start(_type, _args) do
    children = [
      # Start the Ecto repository
      Hello15.Repo,
      # Start the Telemetry supervisor
      Hello15Web.Telemetry,
      # Start the PubSub system
      {Phoenix.PubSub, name: Hello15.PubSub},
      # Start the Endpoint (http/https)
      Hello15Web.Endpoint
      # Start a worker by calling: Hello15.Worker.start_link(arg)
      # {Hello15.Worker, arg}
    ]

    # See https://hexdocs.pm/elixir/Supervisor.html
    # for other strategies and supported options
    opts = [strategy: :one_for_one, name: Hello15.Supervisor]
    Supervisor.start_link(children, opts)
  end

  # Tell Phoenix to update the endpoint configuration
  # whenever the application is updated.
  def config_change(changed, _new, removed) do
    Hello15Web.Endpoint.config_change(changed, removed)
    :ok
  end
end
