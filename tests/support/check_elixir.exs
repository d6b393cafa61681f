# Judge Elixir files with the real Elixir: each must parse (Code.string_to_quoted!) and be left
# unchanged by the formatter at the project's line length. Prints one line per file:
# "ok PATH" or "unformatted PATH" (followed by the formatted text) or "syntax PATH: message".
[root | files] = System.argv()

line_length =
  case File.read(Path.join(root, ".formatter.exs")) do
    {:ok, src} ->
      {opts, _} = Code.eval_string(src)
      Keyword.get(opts, :line_length, 98)

    _ ->
      98
  end

for file <- files do
  src = File.read!(Path.join(root, file))

  try do
    Code.string_to_quoted!(src, file: file)
    formatted = IO.iodata_to_binary(Code.format_string!(src, line_length: line_length)) <> "\n"

    if formatted == src do
      IO.puts("ok #{file}")
    else
      IO.puts("unformatted #{file}\n#{formatted}")
    end
  rescue
    e -> IO.puts("syntax #{file}: #{Exception.message(e)}")
  end
end
