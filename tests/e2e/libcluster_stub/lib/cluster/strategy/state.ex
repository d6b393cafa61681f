defmodule Cluster.Strategy.State do
  @moduledoc "Test stand-in: the state libcluster hands a strategy (same fields as the library's)."
  defstruct topology: nil,
            connect: nil,
            disconnect: nil,
            list_nodes: nil,
            config: [],
            meta: nil
end
