#!/usr/bin/env bash
# The README's main job for now: ingest the bundled real mainnet samples and summarise them.
set -euo pipefail
: "${SHARED_DATA:?set SHARED_DATA to the folder of real data (../shared/data)}"
: "${VENV:=.venv}"
cs="$VENV/bin/chainsleuth"
d="$SHARED_DATA"

echo "== Bitcoin: raw blocks, bitcoind RPC replies, bitcoin-etl exports"
"$cs" ingest --chain btc \
  "$d/btc-blocks-hadoopcryptoledger/firstblocks.blk" \
  "$d/btc-rpc-bitcoin-etl" \
  "$d/btc-blocks-hadoopcryptoledger/version4.blk" \
  "$d/btc-blocks-btcd/277647.dat.bz2" \
  "$d/btc-blocks-bcoin/block300025.raw" \
  "$d/btc-blocks-bcoin/block426884.raw" \
  "$d/btc-blocks-bcoin/block482683.raw" \
  "$d"/btc-blocks-btcd/block-*.blk
# a version-1 block carries no height of its own (no BIP34): say it
"$cs" ingest --chain btc --height 176149 "$d/btc-blocks-hadoopcryptoledger/block176149.blk"

echo "== Ethereum: ethereum-etl exports and JSON-RPC replies"
"$cs" ingest --chain eth "$d/eth-ethereum-etl"

echo "== What the store holds"
"$cs" stats
"$cs" show tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
"$cs" show address 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
"$cs" jobs list --limit 5
