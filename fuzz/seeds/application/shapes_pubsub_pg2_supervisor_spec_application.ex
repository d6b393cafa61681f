defmodule Hello.Application do
  use Application

  def start(_type, _args) do
    import Supervisor.Spec

    children = [
      supervisor(Hello.Repo, []),
      supervisor(Phoenix.PubSub.PG2, [Hello.PubSub, [pool_size: 1]]),
      worker(Hello.Presence.Tracker, []),
      supervisor(HelloWeb.Endpoint, [])
    ]

    opts = [strategy: :one_for_one, name: Hello.Supervisor]
    Supervisor.start_link(children, opts)
  end

  def config_change(changed, _new, removed) do
    HelloWeb.Endpoint.config_change(changed, removed)
    :ok
  end
end
