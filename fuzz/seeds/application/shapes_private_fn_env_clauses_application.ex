defmodule Hello.Application do
  @moduledoc false

  use Application

  @env Mix.env()

  @impl true
  def start(_type, _args) do
    opts = [strategy: :one_for_one, name: Hello.Supervisor]
    Supervisor.start_link(children(@env), opts)
  end

  defp children(:test) do
    [
      Hello.Repo,
      {Phoenix.PubSub, name: Hello.PubSub},
      HelloWeb.Endpoint
    ]
  end

  defp children(_env) do
    [
      HelloWeb.Telemetry,
      Hello.Repo,
      {Phoenix.PubSub, name: Hello.PubSub},
      {Oban, Application.fetch_env!(:hello, Oban)},
      HelloWeb.Endpoint
    ]
  end

  @impl true
  def config_change(changed, _new, removed) do
    HelloWeb.Endpoint.config_change(changed, removed)
    :ok
  end
end
