#!/usr/bin/env bash
# The README's main job for now: ingest the bundled real mainnet samples and summarise them.
set -euo pipefail
: "${SHARED_DATA:?set SHARED_DATA to the folder of real data (../shared/data)}"
: "${VENV:=.venv}"
cs="$VENV/bin/chainsleuth"
d="$SHARED_DATA"
rpc="$d/btc-rpc-bitcoin-etl"

echo "== Bitcoin: raw blocks (blk framing, bare, bzip2), bitcoind RPC replies, bitcoin-etl exports"
"$cs" ingest --chain btc \
  "$d/btc-blocks-bcoin" "$d/btc-blocks-btcd" \
  "$d/btc-blocks-hadoopcryptoledger/firstblocks.blk" "$d/btc-blocks-hadoopcryptoledger/version4.blk" \
  "$rpc/block_0" "$rpc/block_1" "$rpc/block_without_transactions" "$rpc/stream_50001_50002"
# a version-1 block that links to nothing here carries no height of its own: say it
"$cs" ingest --chain btc --height 176149 "$d/btc-blocks-hadoopcryptoledger/block176149.blk"

echo "== Ethereum: ethereum-etl exports and JSON-RPC replies"
"$cs" ingest --chain eth "$d/eth-ethereum-etl/test_export_blocks_job" \
  "$d/eth-ethereum-etl/test_stream/blocks_1755634_1755635" \
  "$d/eth-ethereum-etl/test_stream/blocks_17173049_17173050"

echo "== What the store holds"
"$cs" stats
"$cs" show tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
"$cs" show address 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa --limit 5
"$cs" jobs list --limit 5
