defmodule Cluster.Supervisor do
  @moduledoc """
  Test stand-in for libcluster's `Cluster.Supervisor` (bitwalker/libcluster), written for
  tests/e2e/cluster.sh. Same contract as the library's, which the generated child
  `{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies, []), [name: APP.ClusterSupervisor]]}`
  relies on:

    * `start_link([topologies, supervisor_opts])` (or `[topologies]`) starts a `:one_for_one`
      supervisor with `supervisor_opts` (the `:name`);
    * each `{topology_name, spec}` of `topologies` becomes one child: the module in `spec[:strategy]`
      (required) started as `{strategy, [%Cluster.Strategy.State{}]}`, the state holding the
      topology name, `spec[:config]` (default `[]`) and the `:connect`, `:disconnect` and
      `:list_nodes` MFAs (defaults `:net_kernel.connect_node/1`, `:erlang.disconnect_node/1`,
      `:erlang.nodes(:connected)`).

  Only `Cluster.Strategy.DNSPoll` exists here: a topology with another strategy fails to start,
  loudly, rather than being ignored.
  """
  use Supervisor

  def start_link([topologies, opts]) do
    Supervisor.start_link(__MODULE__, [topologies, opts], opts)
  end

  def start_link([topologies]), do: start_link([topologies, []])

  @impl true
  def init([topologies, opts]) do
    children = Enum.map(topologies, &topology_child/1)
    Supervisor.init(children, Keyword.put(opts, :strategy, :one_for_one))
  end

  defp topology_child({topology, spec}) when is_atom(topology) and is_list(spec) do
    strategy = Keyword.fetch!(spec, :strategy)

    unless strategy == Cluster.Strategy.DNSPoll do
      raise ArgumentError,
            "the libcluster stand-in implements only Cluster.Strategy.DNSPoll; " <>
              "topology #{inspect(topology)} uses #{inspect(strategy)}"
    end

    state = %Cluster.Strategy.State{
      topology: topology,
      config: Keyword.get(spec, :config, []),
      connect: Keyword.get(spec, :connect, {:net_kernel, :connect_node, []}),
      disconnect: Keyword.get(spec, :disconnect, {:erlang, :disconnect_node, []}),
      list_nodes: Keyword.get(spec, :list_nodes, {:erlang, :nodes, [:connected]}),
      meta: nil
    }

    # The strategy's own child_spec, as libcluster does (its id is the strategy module).
    {strategy, [state]}
  end

  defp topology_child(other) do
    raise ArgumentError,
          "expected topologies as a keyword list of {name, spec}, got: #{inspect(other)}"
  end
end
