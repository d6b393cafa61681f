# Render rel/env.sh.eex the way `mix release` does (EEx with @release) and print the result.
[path] = System.argv()
IO.write(EEx.eval_file(path, assigns: [release: %{name: "hello_elixir", version: "0.1.0"}]))
