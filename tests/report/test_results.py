"""The sentences that read the comparison's figures: the curves of all networks, the best
network's confusions."""

from helpers.report import results


def network(name, val, train=None, best=None):
    history = {"val_accuracy": val, "accuracy": train or val}
    return {"model": name, "history": history, "best_epoch": best or len(val)}


def test_epochs_to_near_best_counts_from_one_and_includes_the_edge():
    assert results.epochs_to_near_best({"val_accuracy": [0.5, 0.89, 0.9]}) == 2  # 0.01 below
    assert results.epochs_to_near_best({"val_accuracy": [0.5, 0.8899, 0.9]}) == 3
    assert results.epochs_to_near_best({"val_accuracy": [0.9]}) == 1
    assert results.epochs_to_near_best({}) is None


def test_learning_names_the_quickest_and_the_slowest():
    text = results.learning([network("fast", [0.95, 0.96]),
                             network("slow", [0.5, 0.7, 0.8, 0.9, 0.95])])
    assert "after 1 to 5 epochs: fast after 1 epoch, slow after 5 epochs" in text


def test_learning_says_when_the_networks_were_alike():
    text = results.learning([network("a", [0.5, 0.95]), network("b", [0.6, 0.96])])
    assert text.startswith("Every network came within 1 point of its best validation accuracy "
                           "after 2 epochs.")
    assert "quick" not in text and "fast" not in text


def test_learning_reports_the_widest_gap_only_above_the_noise():
    wide = results.learning([network("a", [0.90, 0.91], train=[0.95, 0.99], best=2),
                             network("b", [0.90, 0.91], train=[0.90, 0.92], best=2)])
    assert "a was 8.0 points more accurate on its (augmented) training batches" in wide
    narrow = results.learning([network("a", [0.90, 0.91], train=[0.90, 0.919], best=2)])
    assert "no network's training accuracy exceeded its validation accuracy" in narrow
    assert results.learning([{"model": "a", "history": {}}]) == ""


def test_confusions_reads_the_share_of_errors_and_the_look_alikes():
    best = {"model": "resnet", "misclassified_count": 100, "test_images": 4800,
            "classes": list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            "most_confused": [{"true": "O", "predicted": "0", "count": 40},
                              {"true": "1", "predicted": "I", "count": 10},
                              {"true": "6", "predicted": "G", "count": 5}]}
    text = results.confusions(best)
    assert "misread 100 of its 4,800 test images" in text
    assert "(O read as 0 (40), 1 read as I (10), 6 read as G (5)) make up 55% of them" in text
    assert "2 of those 3 are characters that share a shape" in text
    unlike = {**best, "most_confused": [{"true": "6", "predicted": "G", "count": 5}]}
    assert "share a shape" not in results.confusions(unlike)
    assert results.confusions({**best, "misclassified_count": 0}) == ""
