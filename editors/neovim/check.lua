-- Opens the two files of the project try.sh writes and prints the first diagnostic of each.
local root = os.getenv("PROJECT")
for _, file in ipairs({ root .. "/src/db.rs", root .. "/db.py" }) do
  vim.cmd("edit " .. file)
  local ok = vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  local d = vim.diagnostic.get(0)[1]
  io.stdout:write(string.format("%s: %s line %d col %d: %s\n", file:sub(#root + 2),
    d and d.code or "no diagnostic", d and d.lnum or -1, d and d.col or -1,
    d and (d.message:gsub("\n.*", "")) or "-"))
  assert(ok, "no diagnostic for " .. file)
end
vim.cmd("qa!")
