defmodule DNSCluster do
  @moduledoc """
  Test stand-in for the `dns_cluster` hex package (phoenixframework/dns_cluster), written for
  tests/e2e/cluster.sh. It keeps the library's contract, which is what the generated
  `{DNSCluster, query: Application.get_env(:app, :dns_cluster_query) || :ignore}` child relies on:

    * `start_link/1` takes a keyword list; `query: :ignore` returns `:ignore` (no process),
      a missing `:query` or one that is not a name (a string, `{basename, name}` or a list of
      those; `nil` included) raises `ArgumentError`, as the library does;
    * every `:interval` ms (default 5000) it looks up the A and AAAA records of each name with
      `:inet_res` (so it honours the resolver that `/etc/resolv.conf` names), and calls
      `Node.connect(:"<basename>@<ip>")` for each address not already in `Node.list()`, where
      `<basename>` is the part of `node()` before the `@`;
    * it warns when the node is not distributed with long names, as the library does.

  Test-only addition: when `DNS_CLUSTER_STUB_STATUS` names a file, each round writes there the node
  name, the round number, the addresses found and `Node.list()` (written to a temporary file, then
  renamed), so the test can see a node's view even when Erlang distribution cannot reach it.
  """
  use GenServer
  require Logger

  def child_spec(opts) do
    %{id: Keyword.get(opts, :name, __MODULE__), start: {__MODULE__, :start_link, [opts]}}
  end

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, name: Keyword.get(opts, :name, __MODULE__))
  end

  @impl true
  def init(opts) do
    case Keyword.fetch(opts, :query) do
      {:ok, :ignore} ->
        :ignore

      {:ok, query} ->
        queries = List.wrap(query)

        if queries == [] or not Enum.all?(queries, &valid_query?/1) do
          raise ArgumentError,
                "expected :query to be a string, {basename, query}, or list, got: #{inspect(query)}"
        end

        warn_unless_longnames()

        state = %{
          basename: basename(node()),
          # The library keeps the wrapped list under `query`; flycluster verify reads it there.
          query: queries,
          interval: Keyword.get(opts, :interval, 5_000),
          connect_timeout: Keyword.get(opts, :connect_timeout, 10_000),
          round: 0,
          status_file: System.get_env("DNS_CLUSTER_STUB_STATUS")
        }

        {:ok, state, {:continue, :discover}}

      :error ->
        raise ArgumentError, "missing required :query option in #{inspect(opts)}"
    end
  end

  @impl true
  def handle_continue(:discover, state), do: {:noreply, discover(state)}

  @impl true
  def handle_info(:discover, state), do: {:noreply, discover(state)}

  defp discover(state) do
    known = MapSet.new(Node.list(:visible), &Atom.to_string/1)

    targets =
      for {basename, name} <- Enum.map(state.query, &with_basename(&1, state.basename)),
          type <- [:a, :aaaa],
          ip <- :inet_res.lookup(String.to_charlist(name), :in, type),
          uniq: true,
          do: "#{basename}@#{:inet.ntoa(ip)}"

    targets
    |> Enum.reject(&MapSet.member?(known, &1))
    |> Task.async_stream(&Node.connect(String.to_atom(&1)),
      max_concurrency: max(length(targets), 1),
      timeout: state.connect_timeout,
      on_timeout: :kill_task
    )
    |> Stream.run()

    state = %{state | round: state.round + 1}
    write_status(state, targets)
    Process.send_after(self(), :discover, state.interval)
    state
  end

  defp with_basename({basename, name}, _own), do: {basename, name}
  defp with_basename(name, own), do: {own, name}

  defp valid_query?(name) when is_binary(name), do: true
  defp valid_query?({basename, name}) when is_binary(basename) and is_binary(name), do: true
  defp valid_query?(_), do: false

  defp basename(node_name) do
    [basename, _host] = String.split(Atom.to_string(node_name), "@")
    basename
  end

  defp warn_unless_longnames do
    case :net_kernel.get_state() do
      %{started: :no} ->
        Logger.warning("DNSCluster: node not running in distributed mode (RELEASE_DISTRIBUTION=name?)")

      %{name_domain: :longnames} ->
        :ok

      _ ->
        Logger.warning("DNSCluster: node not running with long names (RELEASE_DISTRIBUTION=name?)")
    end
  end

  defp write_status(%{status_file: nil}, _targets), do: :ok

  defp write_status(%{status_file: file} = state, targets) do
    text = """
    node=#{node()}
    round=#{state.round}
    found=#{Enum.join(targets, ",")}
    node_list=#{Enum.join(Node.list(), ",")}
    """

    tmp = file <> ".tmp"
    File.write!(tmp, text)
    File.rename!(tmp, file)
  end
end
