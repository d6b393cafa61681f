# The expression `flycluster verify` evaluates on each Machine, through `bin/APP rpc` (on the
# running node) or, when rpc cannot reach the node, `bin/APP eval` (a fresh VM with the same
# environment and flags). flycluster drops these comment lines and joins the others with "; ", so
# that the whole expression is one shell word in single quotes: every line is one complete
# statement, and no single quote may appear anywhere below. __OTP_APP__ is replaced by the OTP app.
#
# It prints one line: a marker, KEY=VALUE fields whose values are URL-safe Base64 (so no banner,
# CR or odd byte can break them), and an end marker (a cut-off line has none). The markers are
# built by concatenation so that an echo of this source never looks like a result line.
app = :__OTP_APP__
str = fn nil -> ""; v when is_binary(v) -> v; v when is_atom(v) -> Atom.to_string(v); v when is_list(v) -> (try do List.to_string(v) rescue _ -> inspect(v) end); v -> inspect(v) end
enc = fn v -> Base.url_encode64(str.(v), padding: false) end
alive = Node.alive?()
# The cookie is hashed here and only a prefix leaves the node. A release without :crypto (it is
# only there when an app depends on it) gets md5, a BIF every node has.
cookie = if alive, do: Atom.to_string(Node.get_cookie()), else: System.get_env("RELEASE_COOKIE")
hash = fn c -> try do "sha256:" <> binary_part(Base.encode16(:crypto.hash(:sha256, c), case: :lower), 0, 12) rescue _ -> "md5:" <> binary_part(Base.encode16(:erlang.md5(c), case: :lower), 0, 12) end end
cookie_hash = if is_binary(cookie) and cookie != "", do: hash.(cookie), else: ""
# Every supervisor of every started application, down to a bounded depth, with a timeout on each
# call: a busy supervisor must not hang the answer. An ignored child (`query: :ignore`) is listed
# with the pid :undefined.
kids = fn sup -> case (try do :gen_server.call(sup, :which_children, 2000) catch _, _ -> [] end) do l when is_list(l) -> l; _ -> [] end end
wanted = [DNSCluster, Cluster.Supervisor]
walk = fn walk, sup, depth -> Enum.flat_map(kids.(sup), fn {_id, pid, type, mods} -> here = (if is_list(mods), do: for(m <- mods, m in wanted, do: {m, pid}), else: []); below = (if type == :supervisor and is_pid(pid) and depth < 6, do: walk.(walk, pid, depth + 1), else: []); here ++ below; _ -> [] end) end
top_of = fn a -> try do (case :application_controller.get_master(a) do m when is_pid(m) -> (case :application_master.get_child(m) do {p, _} when is_pid(p) -> [p]; _ -> [] end); _ -> [] end) catch _, _ -> [] end end
tops = Enum.flat_map(Application.started_applications(), fn {a, _, _} -> top_of.(a) end)
found = Enum.uniq(Enum.flat_map(tops, fn top -> walk.(walk, top, 0) end))
found = if found == [] and is_pid(Process.whereis(DNSCluster)), do: [{DNSCluster, Process.whereis(DNSCluster)}], else: found
state_of = fn p when is_pid(p) -> :running; :undefined -> :ignored; :restarting -> :restarting; _ -> :other end
lib_of = fn DNSCluster -> "dns_cluster"; _ -> "libcluster" end
clustering = Enum.map_join(found, " ", fn {m, p} -> lib_of.(m) <> ":" <> Atom.to_string(state_of.(p)) end)
# The query the node uses: the running DNSCluster's own (its state holds the list it polls), else
# the libcluster topology's, else the app's dns_cluster_query setting, else DNS_CLUSTER_QUERY.
first_name = fn q -> case List.first(List.wrap(q)) do n when is_binary(n) -> n; {_, n} when is_binary(n) -> n; :ignore -> :ignore; _ -> nil end end
dns_pid = Enum.find_value(found, fn {DNSCluster, p} when is_pid(p) -> p; _ -> nil end)
dns_q = if dns_pid, do: (try do (case :sys.get_state(dns_pid, 2000) do %{query: q} -> first_name.(q); _ -> nil end) catch _, _ -> nil end), else: nil
topo_q = try do Enum.find_value(Application.get_env(:libcluster, :topologies) || [], fn {_, t} -> t[:config][:query]; _ -> nil end) rescue _ -> nil end
conf_q = first_name.(Application.get_env(app, :dns_cluster_query))
env_q = System.get_env("DNS_CLUSTER_QUERY")
{query, query_from} = cond do is_binary(dns_q) -> {dns_q, "dns_cluster"}; is_binary(topo_q) -> {topo_q, "libcluster"}; conf_q == :ignore -> {"", "ignore"}; is_binary(conf_q) -> {conf_q, "config"}; is_binary(env_q) -> {env_q, "env"}; true -> {"", "none"} end
aaaa = if query != "", do: (try do Enum.map_join(:inet_res.lookup(String.to_charlist(query), :in, :aaaa, [], 5000), " ", fn ip -> List.to_string(:inet.ntoa(ip)) end) catch _, _ -> "" end), else: ""
proto_dist = case :init.get_argument(:proto_dist) do {:ok, vs} -> Enum.map_join(vs, " ", fn v -> Enum.map_join(v, " ", &List.to_string/1) end); _ -> "" end
vsn = Application.spec(app, :vsn) || System.get_env("RELEASE_VSN")
name = if alive, do: node(), else: System.get_env("RELEASE_NODE")
nodes = Enum.map_join(Node.list(), " ", &Atom.to_string/1)
fields = [mode: (if alive, do: "rpc", else: "eval"), node: name, nodes: nodes, cookie: cookie_hash, query: query, query_from: query_from, aaaa: aaaa, clustering: clustering, proto_dist: proto_dist, vsn: vsn, image: System.get_env("FLY_IMAGE_REF"), machine: System.get_env("FLY_MACHINE_ID")]
IO.puts(Enum.join(["FLYCLUSTER-" <> "VERIFY/1"] ++ Enum.map(fields, fn {k, v} -> "#{k}=#{enc.(v)}" end) ++ ["FLYCLUSTER-" <> "END"], " "))
