# A node for tests/verify_probe.rs: an application `:probe_app` (vsn 1.2.3) whose supervision tree
# holds what flycluster verify looks for, shaped as the libraries' own processes are: a running
# DNSCluster (a GenServer whose state has the `query` list, as dns_cluster 0.2 keeps it), one that
# returned :ignore (`query: :ignore`), and a Cluster.Supervisor one level down. Its resolver is
# pointed at a port nothing answers on, so the AAAA lookup is empty at once. It connects to the
# node named in PEER, prints "ready", and waits.

defmodule DNSCluster do
  use GenServer

  def start_link(opts),
    do: GenServer.start_link(__MODULE__, opts, name: Keyword.get(opts, :name, __MODULE__))

  @impl true
  def init(opts) do
    case Keyword.fetch!(opts, :query) do
      :ignore -> :ignore
      query -> {:ok, %{query: List.wrap(query), interval: 5_000}}
    end
  end
end

defmodule Cluster.Supervisor do
  use Supervisor

  def start_link([topologies, opts]), do: Supervisor.start_link(__MODULE__, topologies, opts)

  @impl true
  def init(_topologies), do: Supervisor.init([], strategy: :one_for_one)
end

defmodule ProbeApp do
  use Application

  @impl true
  def start(_type, _args) do
    nested = %{
      id: :nested,
      type: :supervisor,
      start:
        {Supervisor, :start_link,
         [[{Cluster.Supervisor, [[], [name: ProbeApp.ClusterSupervisor]]}], [strategy: :one_for_one]]}
    }

    ignored = %{id: :ignored, start: {DNSCluster, :start_link, [[query: :ignore, name: :ignored]]}}

    Supervisor.start_link([{DNSCluster, query: "probe.internal"}, ignored, nested],
      strategy: :one_for_one,
      name: ProbeApp.Supervisor
    )
  end
end

:inet_db.res_option(:nameservers, [{{127, 0, 0, 1}, 9}])
:inet_db.res_option(:retry, 1)

:ok =
  :application.load(
    {:application, :probe_app,
     [vsn: ~c"1.2.3", description: ~c"probe", modules: [], registered: [],
      applications: [:kernel, :stdlib, :elixir], mod: {ProbeApp, []}]}
  )

{:ok, _} = Application.ensure_all_started(:probe_app)
peer = String.to_atom(System.fetch_env!("PEER"))
true = Node.connect(peer)
IO.puts("ready")
Process.sleep(:infinity)
