# Stand-ins for the Phoenix, Ecto and telemetry processes that examples/hello_elixir's application
# starts, so that tests/e2e/cluster.sh can build and boot the release without hex packages. Each one
# only holds its configuration; the clustering code under test (DNSCluster child, runtime.exs,
# rel/env.sh.eex) is exactly what flycluster wrote.

defmodule Phoenix.PubSub do
  @moduledoc false
  use Supervisor

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: Keyword.fetch!(opts, :name))

  @impl true
  def init(_opts), do: Supervisor.init([], strategy: :one_for_one)
end

defmodule HelloElixirWeb.Telemetry do
  @moduledoc false
  use Supervisor

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg, name: __MODULE__)

  @impl true
  def init(_arg), do: Supervisor.init([], strategy: :one_for_one)
end

defmodule HelloElixir.Repo do
  @moduledoc false
  use Agent

  # Holds the repo's runtime configuration (config/runtime.exs), so the test can check that
  # ECTO_IPV6 reached it as `socket_options: [:inet6]`.
  def start_link(_arg) do
    config = Application.fetch_env!(:hello_elixir, __MODULE__)
    Keyword.fetch!(config, :url)
    Agent.start_link(fn -> config end, name: __MODULE__)
  end

  def config, do: Agent.get(__MODULE__, & &1)
end

defmodule HelloElixirWeb.Endpoint do
  @moduledoc false
  use Agent

  def start_link(_arg) do
    config = Application.get_env(:hello_elixir, __MODULE__, [])
    Agent.start_link(fn -> config end, name: __MODULE__)
  end

  def config_change(_changed, _removed), do: :ok
end
