defmodule Cluster.Strategy.DNSPoll do
  @moduledoc """
  Test stand-in for libcluster's `Cluster.Strategy.DNSPoll` (3.5), written for tests/e2e/cluster.sh.
  It reads the topology's config as the library does, and nothing else:

    * `query` and `node_basename`: both must be non-empty strings. When both are missing, or either
      is not a non-empty string (`nil` from an unset environment variable included), every round
      logs a warning and finds no node, as the library does. (With exactly one of them missing the
      library crashes on a function clause; here that raises an `ArgumentError`.)
    * `polling_interval` (not `poll_interval`, whatever the library's docs say), default 5000 ms.

  The first round runs while the process starts (the library polls in `init/1`), then one every
  `polling_interval` ms. A round looks up the A and AAAA records of `query` with `:inet_res` (the
  resolver that `/etc/resolv.conf` names), turns each address into `:"<node_basename>@<address>"`
  (`:inet_parse.ntoa/1`, so `fdaa:0:...:2` for IPv6), drops the node itself, disconnects the nodes a
  previous round found that DNS no longer gives, and connects, one after the other, with the
  state's `connect` MFA (`:net_kernel.connect_node/1`), every node found that `list_nodes`
  (`:erlang.nodes(:connected)`) does not hold. A node that failed to connect is tried again next
  round. The node basename comes from the config only: unlike dns_cluster, DNSPoll never looks at
  the current node's name, so a wrong `node_basename` means no node is ever reached.

  Test-only addition: when `LIBCLUSTER_STUB_STATUS` names a file, each round writes there the node
  name, the round number, the topology's query, node_basename and polling_interval as read, the
  node names formed from every address found (the node itself included), `Node.list()` and, when
  the config is unusable, the error (written to a temporary file, then renamed), so the test can see
  a node's view even when Erlang distribution cannot reach it.
  """
  use GenServer
  require Logger

  alias Cluster.Strategy.State

  @default_polling_interval 5_000

  def start_link(args), do: GenServer.start_link(__MODULE__, args)

  @impl true
  def init([%State{} = state]) do
    state = %State{state | meta: state.meta || MapSet.new()}
    {:ok, poll(state)}
  end

  @impl true
  def handle_info(:poll, state), do: {:noreply, poll(state)}
  def handle_info(_other, state), do: {:noreply, state}

  defp poll(%State{} = state) do
    {found, error} = discover(state)
    me = node()
    wanted = found |> Enum.reject(&(&1 == me)) |> MapSet.new()

    # Nodes an earlier round found that DNS no longer gives: let go of them.
    gone = MapSet.difference(state.meta, wanted)
    not_gone = disconnect(state, gone)

    failed = connect(state, wanted)
    meta = wanted |> MapSet.union(not_gone) |> MapSet.difference(failed)

    write_status(state, found, error)
    Process.send_after(self(), :poll, polling_interval(state))
    %State{state | meta: meta}
  end

  # {node names formed from every address found, nil | error text}
  defp discover(%State{config: config, topology: topology}) do
    case {Keyword.fetch(config, :query), Keyword.fetch(config, :node_basename)} do
      {{:ok, query}, {:ok, basename}}
      when is_binary(query) and query != "" and is_binary(basename) and basename != "" ->
        debug(topology, "polling dns for '#{query}'")

        nodes =
          for type <- [:a, :aaaa],
              ip <- :inet_res.lookup(String.to_charlist(query), :in, type),
              do: :"#{basename}@#{:inet_parse.ntoa(ip)}"

        {nodes, nil}

      {{:ok, query}, {:ok, basename}} ->
        error =
          "dns polling strategy is selected, but query or basename param is invalid: " <>
            inspect(%{query: query, node_basename: basename})

        warn(topology, error)
        {[], error}

      {:error, :error} ->
        error = "dns polling strategy is selected, but query and basename params missed"
        warn(topology, error)
        {[], error}

      {query, basename} ->
        raise ArgumentError,
              "DNSPoll config needs both :query and :node_basename " <>
                "(libcluster crashes here too), got query #{inspect(query)}, node_basename #{inspect(basename)}"
    end
  end

  # Connects to every node of `nodes` not yet connected; returns the set of those that failed.
  defp connect(%State{connect: {m, f, a}, list_nodes: list_nodes, topology: topology}, nodes) do
    connected = MapSet.new(apply_mfa(list_nodes, []))

    nodes
    |> Enum.reject(&(MapSet.member?(connected, &1) or &1 == node()))
    |> Enum.reduce(MapSet.new(), fn n, failed ->
      case apply(m, f, a ++ [n]) do
        true ->
          info(topology, "connected to #{inspect(n)}")
          failed

        false ->
          warn(topology, "unable to connect to #{inspect(n)}")
          MapSet.put(failed, n)

        :ignored ->
          warn(topology, "unable to connect to #{inspect(n)}: not part of network")
          MapSet.put(failed, n)
      end
    end)
  end

  # Disconnects from the connected nodes of `nodes`; returns the set of those that would not go.
  defp disconnect(
         %State{disconnect: {m, f, a}, list_nodes: list_nodes, topology: topology},
         nodes
       ) do
    connected = MapSet.new(apply_mfa(list_nodes, []))

    nodes
    |> Enum.filter(&MapSet.member?(connected, &1))
    |> Enum.reduce(MapSet.new(), fn n, kept ->
      case apply(m, f, a ++ [n]) do
        true ->
          info(topology, "disconnected from #{inspect(n)}")
          kept

        other when other in [false, :ignored] ->
          kept

        reason ->
          warn(topology, "disconnect from #{inspect(n)} failed with: #{inspect(reason)}")
          MapSet.put(kept, n)
      end
    end)
  end

  defp apply_mfa({m, f, a}, extra), do: apply(m, f, a ++ extra)

  defp polling_interval(%State{config: config}),
    do: Keyword.get(config, :polling_interval, @default_polling_interval)

  # libcluster logs as "[libcluster:TOPOLOGY] message"; debug only with `config :libcluster, debug: true`.
  defp debug(topology, msg) do
    if Application.get_env(:libcluster, :debug, false),
      do: Logger.debug("[libcluster:#{topology}] #{msg}")
  end

  defp info(topology, msg), do: Logger.info("[libcluster:#{topology}] #{msg}")
  defp warn(topology, msg), do: Logger.warning("[libcluster:#{topology}] #{msg}")

  # ---- test-only status file -------------------------------------------------------------------

  defp write_status(%State{config: config, topology: topology}, found, error) do
    round = Process.get(:libcluster_stub_round, 0) + 1
    Process.put(:libcluster_stub_round, round)

    case System.get_env("LIBCLUSTER_STUB_STATUS") do
      nil ->
        :ok

      file ->
        text = """
        node=#{node()}
        round=#{round}
        topology=#{topology}
        query=#{show(Keyword.get(config, :query))}
        node_basename=#{show(Keyword.get(config, :node_basename))}
        polling_interval=#{polling_interval(%State{config: config})}
        found=#{Enum.join(found, ",")}
        node_list=#{Enum.join(Node.list(), ",")}
        error=#{error || ""}
        """

        tmp = file <> ".tmp"
        File.write!(tmp, text)
        File.rename!(tmp, file)
    end
  end

  defp show(value) when is_binary(value) and value != "", do: value
  defp show(value), do: inspect(value)
end
