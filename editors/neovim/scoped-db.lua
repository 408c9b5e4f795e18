-- scoped-db in Neovim 0.7+: one server for the Rust and Python buffers of the session.
local client_id
vim.api.nvim_create_autocmd("FileType", {
  pattern = { "rust", "python" },
  callback = function(args)
    client_id = client_id or vim.lsp.start_client({
      name = "scoped-db",
      cmd = { "scoped-db", "server" },
      root_dir = vim.fn.getcwd(),
    })
    vim.lsp.buf_attach_client(args.buf, client_id)
  end,
})
