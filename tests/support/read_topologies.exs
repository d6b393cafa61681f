# Reads config files the way a release boots with them (Config.Reader, environment :prod, each file
# merged over the ones before it, as the build-time config and then runtime.exs are), and prints
# the libcluster topologies under APP's KEY, one line each: "NAME STRATEGY".
# Usage: elixir read_topologies.exs ROOT APP KEY FILE...
[root, app, key | files] = System.argv()

config =
  Enum.reduce(files, [], fn file, acc ->
    Config.Reader.merge(acc, Config.Reader.read!(Path.join(root, file), env: :prod, target: :host))
  end)

topologies =
  config
  |> Keyword.get(String.to_atom(app), [])
  |> Keyword.get(String.to_atom(key), [])

for {name, opts} <- topologies do
  IO.puts("#{name} #{inspect(Keyword.get(opts, :strategy))}")
end
