# Format files in place with the project's line length, so generated test inputs start formatted.
[root | files] = System.argv()
{opts, _} = Code.eval_file(Path.join(root, ".formatter.exs"))

for file <- files do
  path = Path.join(root, file)
  formatted = Code.format_string!(File.read!(path), line_length: Keyword.get(opts, :line_length, 98))
  File.write!(path, [formatted, "\n"])
end
